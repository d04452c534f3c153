#!/bin/sh
# Starts a Redis server (`start.sh redis ARGS...`, ARGS being the base manifest's redis-server arguments)
# or a sentinel (`start.sh sentinel`) of the Sentinel overlay. Why a script: Sentinel reconfigures the
# servers while they run (REPLICAOF), but a restarted pod starts again from its manifest, which names
# redis-master-0 as the master. So each pod first asks the sentinels which server is the master now.
# See docs/decisions/104-sentinel-overlay.md.
#
# Environment: REDIS_SENTINELS (host:port,...), REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD (the
# sentinels' own), as the frontends read them; REDIS_PASSWORD (the administrator's); POD_IP (redis);
# SENTINEL_ANNOUNCE_HOSTNAME and INITIAL_MASTER_HOST (sentinel).
set -eu

# How long a restarted master waits for the sentinels to promote a replica before it resumes as the
# master (see start_redis): several times what a failover took on a real cluster (about 9 s).
FAILOVER_WAIT_SECONDS=30

# Prints each sentinel's answer to a SENTINEL subcommand on a line of its own (nothing from a sentinel
# that does not answer). The sentinels have a password of their own: in a Redis pod, REDISCLI_AUTH is
# the servers'.
ask_sentinels() {
  for address in $(echo "$REDIS_SENTINELS" | tr ',' ' '); do
    timeout 3 env REDISCLI_AUTH="$REDIS_SENTINEL_PASSWORD" redis-cli -h "${address%:*}" -p "${address##*:}" --raw sentinel "$@" 2>/dev/null |
      paste -sd ' ' -
  done
}

# Prints "host port" of the master that most sentinels name; nothing when none names one.
current_master() {
  ask_sentinels get-master-addr-by-name "$REDIS_SENTINEL_MASTER" |
    grep -E '^[^ ]+ [0-9]+$' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2, $3 }'
}

# The addresses of a host name (or the address itself), one a line.
addresses() {
  getent ahosts "$1" | awk '{ print $1 }' | sort -u
}

start_redis() {
  # Any server may become the master, so every one keeps an append-only file (the replicas' on their
  # emptyDir, which outlives a restart of the container).
  set -- "$@" --appendonly yes
  while :; do
    master=$(current_master)
    if [ -z "$master" ]; then
      # No sentinel answers: the first start of the deployment. Take the role of the manifest:
      # redis-master-0 the master, the replicas following the Service redis-master.
      echo "start.sh: no sentinel names a master; starting in the manifest's role"
      exec redis-server "$@"
    fi
    host=${master% *}
    port=${master#* }
    if ! addresses "$host" | grep -qxF "$POD_IP"; then
      # Another server is the master: follow it, whatever the manifest says (a later --replicaof
      # wins). This is how a restarted old master comes back as a replica and never as a second master.
      # Only once it answers: the sentinels learn of a replica from its master, so a replica of a
      # master that is gone would be one that they never reconfigure.
      if timeout 3 redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "start.sh: the sentinels name $host:$port as the master; starting as its replica"
        exec redis-server "$@" --replicaof "$host" "$port"
      fi
      echo "start.sh: the master that the sentinels name, $host:$port, does not answer; waiting for a failover"
      sleep 2
      continue
    fi
    # The sentinels still name this pod: it restarted before they finished a failover. Resuming as the
    # master at once races that failover: writes taken now are lost when a replica is promoted and this
    # server follows it. So while they know a replica, give them the time a failover takes (down-after
    # 5 s, then the election and the promotion) to name another master; only when none comes (the whole
    # deployment restarted, no replica to promote) resume from the append-only file.
    if [ -n "$(ls /data/appendonlydir/*.manifest 2>/dev/null)" ]; then
      waited=${waited:-0}
      if [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ] && ask_sentinels replicas "$REDIS_SENTINEL_MASTER" | grep -q .; then
        echo "start.sh: the sentinels name this pod as the master; waiting for a failover ($waited s)"
        sleep 2
        waited=$((waited + 2))
        continue
      fi
      echo "start.sh: the sentinels name this pod as the master; resuming from its append-only file"
      exec redis-server "$@" --replicaof no one
    fi
    # Never a master without data while a replica may hold it: the replicas would copy the empty data
    # set. Wait for the sentinels to promote one, then follow it. Only when they know no replica at
    # all (the first start of the deployment, before any replica has reached this master) is there
    # nothing to lose.
    if ! ask_sentinels replicas "$REDIS_SENTINEL_MASTER" | grep -q .; then
      echo "start.sh: the sentinels name this pod as the master and know no replica; starting empty"
      exec redis-server "$@" --replicaof no one
    fi
    echo "start.sh: the sentinels name this pod as the master, but it has no data; waiting for a failover"
    sleep 2
  done
}

start_sentinel() {
  # Sentinel rewrites its file as it learns (epochs, replicas, the other sentinels): keep it across
  # restarts of the container; a new pod writes a fresh one.
  config=/data/sentinel.conf
  if [ ! -s "$config" ]; then
    # After a failover the other sentinels know a newer master than the manifests do.
    master=$(current_master)
    master=${master:-"$INITIAL_MASTER_HOST 6379"}
    # With resolve-hostnames, a name that does not resolve yet stops Sentinel: wait for its pod.
    until [ -n "$(addresses "${master% *}")" ]; do
      echo "start.sh: waiting for ${master% *} to resolve"
      sleep 2
    done
    # The other sentinels know this one by its DNS name and its ID; both stay the same when the pod
    # is replaced, so a replaced sentinel is not counted twice (which would raise the majority that a
    # failover needs). Every client must give the sentinels' password (requirepass), and the
    # sentinels give it to each other.
    cat >"$config" <<CONF
port 26379
dir /data
requirepass "$REDIS_SENTINEL_PASSWORD"
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $SENTINEL_ANNOUNCE_HOSTNAME
sentinel myid $(printf '%s' "$SENTINEL_ANNOUNCE_HOSTNAME" | sha1sum | cut -c1-40)
sentinel monitor $REDIS_SENTINEL_MASTER $master 2
sentinel auth-pass $REDIS_SENTINEL_MASTER "$REDIS_PASSWORD"
sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER 5000
sentinel failover-timeout $REDIS_SENTINEL_MASTER 60000
sentinel parallel-syncs $REDIS_SENTINEL_MASTER 1
CONF
  fi
  exec redis-server "$config" --sentinel
}

role=$1
shift
case $role in
  redis) start_redis "$@" ;;
  sentinel) start_sentinel ;;
  *) echo "usage: start.sh redis ARGS... | start.sh sentinel" >&2; exit 64 ;;
esac
