import 'server-only';
import type Redis from 'ioredis';
import { getConfig } from '@/lib/config';
import { AppError } from '@/lib/http/problem';
import { logger } from '@/lib/log';
import { createRedisClient, replicaMonitor, type Role } from '@/lib/redis';
import { STREAM_KEY, toEntry, type StreamRecord } from '@/lib/guestbook/store';
import type { Entry } from '@/lib/guestbook/schema';

/**
 * One blocking reader per process (XREAD BLOCK on a connection of its own, on a replica, or on the
 * master while no replica answers) that hands each new entry to every subscriber of the process. It
 * starts with the first subscriber and stops with the last; after a lost connection it resumes from
 * the last id it delivered, so nothing is skipped or repeated.
 */

export type Listener = (entry: Entry) => void;

export interface Subscription {
  /** Every entry after this id reaches the listener, in order; the ones up to it are history. */
  readonly position: string;
  unsubscribe(): void;
}

export interface FeedOptions {
  /** A new connection of its own to the master or a replica. */
  connect: (role: Role) => Redis;
  /** False while the replica is known to be stale (its link to the master down): read the master. */
  replicaTrusted?: () => boolean;
  blockMs?: number;
}

// Short enough that a replica that goes stale mid-read is left for the master within seconds.
const BLOCK_MS = 2_000;
const BATCH = 100;
const MAX_BACKOFF_MS = 2_000;
const EMPTY_STREAM_ID = '0-0';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A client that waits to reconnect would only queue the read: try the other server meanwhile.
const usable = (client: Redis) => client.status !== 'reconnecting' && client.status !== 'end';

/** One run of the reader, from its first subscriber to its last: its connections and its position. */
class Reader {
  private readonly clients = new Map<Role, Redis>();
  private stopped = false;
  lastId = EMPTY_STREAM_ID;

  constructor(
    private readonly options: Required<FeedOptions>,
    private readonly deliver: (entry: Entry) => void,
  ) {}

  /** Finds the newest id (the subscribers' starting point), then tails the stream from there. */
  async start(): Promise<void> {
    const [newest] = (await this.attempt((client) => client.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1))) as StreamRecord[];
    this.lastId = newest?.[0] ?? EMPTY_STREAM_ID;
    void this.tail();
  }

  stop(): void {
    this.stopped = true;
    // Ends a read that is blocked now, instead of waiting for its timeout.
    for (const client of this.clients.values()) client.disconnect();
  }

  private client(role: Role): Redis {
    let client = this.clients.get(role);
    if (!client) this.clients.set(role, (client = this.options.connect(role)));
    return client;
  }

  private source(): Role {
    return usable(this.client('replica')) && this.options.replicaTrusted() ? 'replica' : 'master';
  }

  /** Runs a command on the replica, or on the master when the replica does not answer. */
  private async attempt<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    const first = this.source();
    try {
      return await command(this.client(first));
    } catch (error) {
      if (this.stopped || first === 'master') throw error;
      return command(this.client('master'));
    }
  }

  private async tail(): Promise<void> {
    for (let failures = 0; !this.stopped; ) {
      try {
        await this.readOnce();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        failures++;
        logger.warn({ err: error, failures }, 'live feed read failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, MAX_BACKOFF_MS));
      }
    }
  }

  private async readOnce(): Promise<void> {
    const reply = await this.attempt((client) =>
      client.xread('COUNT', BATCH, 'BLOCK', this.options.blockMs, 'STREAMS', STREAM_KEY, this.lastId),
    );
    if (this.stopped) return;
    for (const record of (reply?.[0]?.[1] ?? []) as StreamRecord[]) {
      this.lastId = record[0];
      this.deliver(toEntry(record));
    }
  }
}

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private reader?: Reader;
  private starting?: Promise<void>;
  private readonly options: Required<FeedOptions>;

  constructor(options: FeedOptions) {
    this.options = { blockMs: BLOCK_MS, replicaTrusted: () => true, ...options };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Adds a listener; fails with a 503 when neither the replica nor the master answers. */
  async subscribe(listener: Listener): Promise<Subscription> {
    const reader = await this.running();
    // The last subscriber may have left while this one waited for the start: start anew.
    if (reader !== this.reader) return this.subscribe(listener);
    this.listeners.add(listener);
    return { position: reader.lastId, unsubscribe: () => this.unsubscribe(listener) };
  }

  private async running(): Promise<Reader> {
    if (!this.reader) {
      const reader = new Reader(this.options, (entry) => this.fanOut(entry));
      this.reader = reader;
      this.starting = reader.start().catch((error: unknown) => {
        this.stopReader(reader);
        throw new AppError('storage_unavailable', 'Live updates are not available right now; try again shortly.', {
          retryAfterSeconds: 1,
          cause: error,
        });
      });
    }
    const reader = this.reader;
    await this.starting;
    return reader;
  }

  private unsubscribe(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0 && this.reader) this.stopReader(this.reader);
  }

  private stopReader(reader: Reader): void {
    reader.stop();
    if (this.reader === reader) this.reader = undefined;
  }

  private fanOut(entry: Entry): void {
    // A listener only queues the entry; one that throws must not keep it from the others.
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (error) {
        logger.error({ err: error }, 'live feed listener failed');
      }
    }
  }
}

/** The reader's connections wait up to BLOCK_MS for news, so their command timeout allows for that. */
const connectLive = (role: Role) =>
  createRedisClient(role, { connectionName: `guestbook-live-${role}`, commandTimeout: BLOCK_MS + getConfig().redisTimeoutMs });

const store = globalThis as typeof globalThis & { guestbookLiveFeed?: LiveFeed };

/** The process's one feed, kept on globalThis like the Redis clients. */
export function liveFeed(): LiveFeed {
  return (store.guestbookLiveFeed ??= new LiveFeed({ connect: connectLive, replicaTrusted: () => replicaMonitor().current().trusted }));
}
