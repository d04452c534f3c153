import 'server-only';
import type Redis from 'ioredis';
import { logger } from './log';
import { metrics } from './metrics';

/**
 * Whether the replica may serve reads. A poll of `INFO replication` every second and whenever the
 * replica's connection is back (and every failed read) keeps the verdict fresh: a replica that does
 * not answer, or whose link to its master has been down for longer than the configured bound, is not
 * trusted, and reads go to the master until it is. The same poll asks the master for its replication
 * offset, which tells how far the replica lags.
 */

export interface ReplicaHealth {
  trusted: boolean;
  reason: 'linked' | 'unreachable' | 'link-down' | 'not-a-replica';
  linkDownSeconds?: number;
}

const POLL_MS = 1000;

/** One field of an `INFO` reply. */
export const infoField = (info: string, name: string) => info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim();

export function judgeReplica(info: string, maxLinkDownMs: number): ReplicaHealth {
  const field = (name: string) => infoField(info, name);
  // Reading "from the replica" when it is the master itself (no replica configured) is fine.
  if (field('role') !== 'slave') return { trusted: true, reason: 'not-a-replica' };
  if (field('master_link_status') === 'up') return { trusted: true, reason: 'linked' };
  const downSince = Number(field('master_link_down_since_seconds'));
  // Redis reports -1 (or nothing) before the first successful sync: as untrustworthy as a long outage.
  const linkDownSeconds = Number.isFinite(downSince) && downSince >= 0 ? downSince : Infinity;
  return { trusted: linkDownSeconds * 1000 <= maxLinkDownMs, reason: 'link-down', linkDownSeconds };
}

// Five minutes of the master's offsets at one a second: a lag longer than that is reported as that long.
const LAG_WINDOW = 300;

/**
 * The replica's lag in seconds, from the replication offsets of master and replica polled together:
 * the master's offsets are remembered with the time they were seen, and the lag is how long ago the
 * master first had a byte that the replica has not applied yet (0 when it has them all).
 */
export class ReplicationLag {
  private readonly seen: { at: number; offset: number }[] = [];

  observe(at: number, masterOffset: number, replicaOffset: number): number {
    this.seen.push({ at, offset: masterOffset });
    if (this.seen.length > LAG_WINDOW) this.seen.shift();
    if (replicaOffset >= masterOffset) return 0;
    const firstMissing = this.seen.find((sample) => sample.offset > replicaOffset)!;
    return (at - firstMissing.at) / 1000;
  }
}

const offset = (info: string | null, name: string) => Number(info === null ? NaN : infoField(info, name));

export class ReplicaMonitor {
  private health: ReplicaHealth = { trusted: true, reason: 'linked' };
  private timer?: NodeJS.Timeout;
  private readonly lag = new ReplicationLag();

  constructor(
    private readonly replica: Redis,
    private readonly master: Redis,
    private readonly maxLinkDownMs: number,
    private readonly pollMs = POLL_MS,
  ) {
    // Distrusted because its connection dropped (a connect timeout while the process starts, a
    // restart), a replica would otherwise wait up to a poll to serve again: the first reads of a
    // process that has just become ready went to the master.
    replica.on('ready', () => void this.poll());
  }

  current(): ReplicaHealth {
    this.start();
    return this.health;
  }

  /** Polls from now on (the first read does it anyway; the server starts it so that its metrics are live). */
  start(): void {
    this.timer ??= setInterval(() => void this.poll(), this.pollMs).unref();
  }

  /** A read just failed on the replica: stop sending it reads until a poll says otherwise. */
  markUnreachable(): void {
    this.set({ trusted: false, reason: 'unreachable' });
  }

  async poll(): Promise<ReplicaHealth> {
    const replication = (client: Redis) => client.info('replication').catch(() => null);
    const [replicaInfo, masterInfo] = await Promise.all([replication(this.replica), replication(this.master)]);
    if (replicaInfo === null) this.markUnreachable();
    else this.set(judgeReplica(replicaInfo, this.maxLinkDownMs));
    this.measureLag(replicaInfo, masterInfo);
    return this.health;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private measureLag(replicaInfo: string | null, masterInfo: string | null): void {
    if (this.health.reason === 'not-a-replica') return void metrics().replicaLag.set(0);
    const masterOffset = offset(masterInfo, 'master_repl_offset');
    const replicaOffset = offset(replicaInfo, 'slave_repl_offset');
    const known = Number.isFinite(masterOffset) && Number.isFinite(replicaOffset);
    metrics().replicaLag.set(known ? this.lag.observe(Date.now(), masterOffset, replicaOffset) : NaN);
  }

  private set(next: ReplicaHealth): void {
    if (next.trusted !== this.health.trusted) {
      logger.warn({ replica: next }, next.trusted ? 'replica trusted again for reads' : 'replica not trusted for reads');
    }
    this.health = next;
    metrics().replicaTrusted.set(next.trusted ? 1 : 0);
  }
}
