import 'server-only';
import type Redis from 'ioredis';
import { logger } from './log';

/**
 * Whether the replica may serve reads. A poll of `INFO replication` every second (and every failed
 * read) keeps the verdict fresh: a replica that does not answer, or whose link to its master has been
 * down for longer than the configured bound, is not trusted, and reads go to the master until it is.
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

export class ReplicaMonitor {
  private health: ReplicaHealth = { trusted: true, reason: 'linked' };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly replica: Redis,
    private readonly maxLinkDownMs: number,
  ) {}

  current(): ReplicaHealth {
    this.timer ??= setInterval(() => void this.poll(), POLL_MS).unref();
    return this.health;
  }

  /** A read just failed on the replica: stop sending it reads until a poll says otherwise. */
  markUnreachable(): void {
    this.set({ trusted: false, reason: 'unreachable' });
  }

  async poll(): Promise<ReplicaHealth> {
    try {
      this.set(judgeReplica(await this.replica.info('replication'), this.maxLinkDownMs));
    } catch {
      this.markUnreachable();
    }
    return this.health;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private set(next: ReplicaHealth): void {
    if (next.trusted !== this.health.trusted) {
      logger.warn({ replica: next }, next.trusted ? 'replica trusted again for reads' : 'replica not trusted for reads');
    }
    this.health = next;
  }
}
