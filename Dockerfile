# The guestbook's images: the containers of a frontend pod (k8s/base/frontend.yaml), and the
# Prometheus exporters that run beside nginx and every Redis server:
#   DOCKER_BUILDKIT=1 docker build -t guestbook:0.1.0 .                                      Next.js (the default target)
#   DOCKER_BUILDKIT=1 docker build --target front-tier -t guestbook-front-tier:0.1.0 .       nginx in front of it
#   DOCKER_BUILDKIT=1 docker build --target queue -t guestbook-queue:0.1.0 .                 the admission queue (HAProxy) between them
#   DOCKER_BUILDKIT=1 docker build --target exporters -t guestbook-exporters:0.1.0 .         the exporters
# Build the first two from the same sources (and one build cache): the front tier serves the Next build's static files.
# The queue's deadline is fixed at build time: --build-arg FRONT_TIER_QUEUE_TIMEOUT_MS=2000 (milliseconds).
# For Kubernetes, give every build an id and the server actions' key (docs/decisions/106):
#   --build-arg DEPLOYMENT_ID=0.1.0 --secret id=server_actions_key,src=k8s/base/server-actions.key
# BuildKit is needed (RUN --mount). Behind a TLS-intercepting proxy, pass its CA as a secret:
#   --secret id=build_ca,src=/etc/ssl/certs/ca-certificates.crt --build-arg HTTPS_PROXY ...
ARG NODE_VERSION=24
ARG DEBIAN_VERSION=bookworm

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The CA is readable by this step only and never stored in a layer; without the secret npm uses its own CAs.
RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi; \
    npm ci --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Version skew during a rollout (docs/decisions/106): an id of this build (e.g. its tag or commit),
# and the server actions' key, which names the actions: with the same key in every build, a page of the
# previous build still finds them on a new server. The key is a secret, never a layer's variable.
ARG DEPLOYMENT_ID=""
# public/ is optional in a Next.js app; the runtime stage copies it either way.
RUN --mount=type=secret,id=server_actions_key \
    if [ -s /run/secrets/server_actions_key ]; then export NEXT_SERVER_ACTIONS_ENCRYPTION_KEY="$(cat /run/secrets/server_actions_key)"; fi; \
    NEXT_DEPLOYMENT_ID="$DEPLOYMENT_ID" npm run build && mkdir -p public

# The front tier's nginx.conf and the queue's haproxy.cfg, rendered by the same code as for npm start,
# for the pod's values: the Service's target port, stub_status on loopback for the exporter beside it,
# the queue's two doors and its liveness on loopback, its metrics on the pod's address (Prometheus),
# Next.js beside them on loopback, the writable folder on an emptyDir (the root is read-only), and two
# workers whatever the node's size (auto would start one a core of the node). Their own error answers too.
FROM node:${NODE_VERSION}-bookworm-slim AS front-tier-config
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY front-tier ./front-tier
COPY scripts/front-tier.ts scripts/front-tier-errors.ts scripts/system-packages.ts ./scripts/
COPY i18n/locales.ts ./i18n/
COPY lib/http/csp.ts lib/http/problem-types.ts ./lib/http/
ARG FRONT_TIER_QUEUE_TIMEOUT_MS=2000
RUN set -eu; \
    node_modules/.bin/tsx scripts/front-tier.ts render-errors --errors-dir errors; \
    node_modules/.bin/tsx scripts/front-tier.ts render \
      --listen 0.0.0.0:8080 --status 127.0.0.1:8081 --queue-api 127.0.0.1:8082 --queue-pages 127.0.0.1:8083 \
      --upstream 127.0.0.1:3000 --dir /run/front-tier --static-dir /usr/share/guestbook/static \
      --errors-dir /usr/share/guestbook/errors --workers 2 > nginx.conf; \
    FRONT_TIER_QUEUE_TIMEOUT_MS=$FRONT_TIER_QUEUE_TIMEOUT_MS node_modules/.bin/tsx scripts/front-tier.ts render-queue \
      --queue-api 127.0.0.1:8082 --queue-pages 127.0.0.1:8083 --queue-health 127.0.0.1:8084 --queue-metrics 0.0.0.0:8405 \
      --upstream 127.0.0.1:3000 --errors-dir /usr/share/guestbook/errors > haproxy.cfg

# What the images of Debian's programs share: the slim base and a way to install packages that
# leaves nothing of apt behind (scripts/docker/apt-install.sh).
FROM debian:${DEBIAN_VERSION}-slim AS debian-runtime
COPY scripts/docker/apt-install.sh /usr/local/sbin/apt-install

# The front tier: Debian's nginx (the package with the sub and gzip modules built in, no others).
FROM debian-runtime AS front-tier
RUN --mount=type=secret,id=build_ca \
    set -eu; \
    apt-install nginx; \
    rm -rf /etc/nginx/sites-* /etc/nginx/conf.d /etc/nginx/modules-* /var/www/html; \
    groupadd --system --gid 1001 front-tier; \
    useradd --system --uid 1001 --gid front-tier --no-create-home --shell /usr/sbin/nologin front-tier; \
    mkdir -p /run/front-tier; chown front-tier:front-tier /run/front-tier
COPY --from=front-tier-config /app/nginx.conf /etc/nginx/nginx.conf
COPY --from=front-tier-config /app/errors /usr/share/guestbook/errors
COPY --from=build /app/.next/static /usr/share/guestbook/static
# The same uid as the app's container of the pod; only /run/front-tier (pid, temporary files, cache) is writable.
USER 1001:1001
EXPOSE 8080
# SIGTERM is nginx's fast stop, which cuts the requests in flight; SIGQUIT finishes them first.
STOPSIGNAL SIGQUIT
# No curl in a slim image: bash asks the front tier's own liveness route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /_front-tier/healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == *' 200 '* ]]"]
# -e: nginx opens an error log before it reads its configuration; stderr, not a file on the read-only root.
CMD ["nginx", "-e", "stderr"]

# The admission queue: Debian's HAProxy (2.6, its Prometheus exporter built in), between nginx and
# Next.js in the frontend pod (docs/decisions/013). It writes no file: no writable folder at all.
FROM debian-runtime AS queue
RUN --mount=type=secret,id=build_ca \
    set -eu; \
    apt-install haproxy; \
    rm -rf /etc/haproxy /etc/init.d/haproxy /etc/logrotate.d/haproxy /etc/rsyslog.d/49-haproxy.conf /var/lib/haproxy
COPY --from=front-tier-config /app/haproxy.cfg /etc/haproxy/haproxy.cfg
COPY --from=front-tier-config /app/errors/haproxy /usr/share/guestbook/errors/haproxy
# The pod's user, as its other containers.
USER 1001:1001
EXPOSE 8405
# SIGUSR1 is HAProxy's soft stop: it stops listening, serves what is in flight and in the queue, and
# exits (hard-stop-after 20s); SIGTERM would cut them.
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8084 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == *' 200 '* ]]"]
# -db: in the foreground, its alerts on stderr.
CMD ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"]

# The Prometheus exporters of the pods, Debian's packages in one image: oliver006's redis_exporter
# (beside every Redis server and sentinel) and NGINX's exporter (beside the front tier). The manifests
# name the one to run (docs/decisions/110).
FROM debian-runtime AS exporters
RUN --mount=type=secret,id=build_ca \
    set -eu; \
    apt-install prometheus-redis-exporter prometheus-nginx-exporter; \
    rm -rf /etc/init.d/prometheus-* /etc/logrotate.d/prometheus-*
# Neither writes a file: any unprivileged user will do (the pods run them as their own).
USER 65534:65534
EXPOSE 9121 9113
CMD ["prometheus-redis-exporter"]

# The default target, last: Next.js.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
WORKDIR /app
# Docker sets HOSTNAME to the container id, and Next's server.js listens on HOSTNAME: listen on all interfaces.
# The app drains and exits by itself on SIGTERM (lib/shutdown.ts): Next.js leaves the signals to it.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    NEXT_MANUAL_SIG_HANDLE=true \
    PORT=3000 \
    HOSTNAME=0.0.0.0
RUN groupadd --system --gid 1001 guestbook \
 && useradd --system --uid 1001 --gid guestbook --no-create-home --shell /usr/sbin/nologin guestbook
# The code stays owned by root, so the server cannot change it; only Next's cache is writable.
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
RUN mkdir -p .next/cache && chown guestbook:guestbook .next/cache
# Numeric, so that Kubernetes can verify runAsNonRoot.
USER 1001:1001
EXPOSE 3000
# A slim image has no curl: Node's own fetch asks the liveness route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
