import 'server-only';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import { getConfig, type Config } from './config';
import { logger } from './log';
import { metrics } from './metrics';
import { AppError } from './http/problem';
import { ReplicaMonitor } from './replica-health';
import { markRole } from './tracing/redis-role';

/**
 * The two Redis clients of the process: every write goes to the master, every read to a replica.
 * They are created once and kept on globalThis, so that hot reloads in development and every request
 * in production share the same two connections.
 */

export type Role = 'master' | 'replica';

const RETRY_AFTER_SECONDS = 1;

// Replies that mean "not now" rather than "wrong": the server is loading, failing over or read-only.
const TRANSIENT_REPLIES = /^(LOADING|MASTERDOWN|READONLY|TRYAGAIN|NOREPLICAS|BUSY)\b/;

function options(config: Config, role: Role): RedisOptions {
  const timeout = config.redisTimeoutMs;
  const base: RedisOptions = {
    connectionName: `guestbook-${role}`,
    connectTimeout: timeout,
    commandTimeout: timeout,
    // One retry on a dropped connection; the command timeout bounds the whole wait regardless.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
  };
  if (config.redis.mode === 'sentinel') {
    const { sentinels, masterName, username, password, sentinelPassword } = config.redis;
    return {
      ...base,
      sentinels,
      name: masterName,
      role: role === 'master' ? 'master' : 'slave',
      username,
      password,
      sentinelPassword,
      // The master's connection hears of a failover from the sentinels at once; a replica's need not
      // drop (and stop serving reads) when another server is promoted.
      failoverDetector: role === 'master',
      // A demoted master refuses writes with READONLY: ask the sentinels again for the new one.
      reconnectOnError: (error) => role === 'master' && error.message.startsWith('READONLY'),
    };
  }
  return base;
}

/**
 * A connection with the process's options; `overrides` serve a connection of its own, such as the
 * live feed's blocking read, which must not hold up the shared clients.
 */
export function createRedisClient(role: Role, overrides: RedisOptions = {}): Redis {
  const config = getConfig();
  const settings = { ...options(config, role), ...overrides };
  const client =
    config.redis.mode === 'sentinel'
      ? new Redis(settings)
      : new Redis(role === 'master' ? config.redis.masterUrl : config.redis.replicaUrl, settings);
  // Without a listener ioredis prints every failed reconnect; one line per state change is enough.
  client.on('error', (error) => logger.debug({ role, err: error }, 'redis connection error'));
  client.on('ready', () => logger.info({ role }, 'redis ready'));
  client.on('close', () => logger.info({ role }, 'redis connection closed'));
  if (config.tracing.enabled) markRole(client, role);
  return client;
}

interface Clients {
  master?: Redis;
  replica?: Redis;
  monitor?: ReplicaMonitor;
}

const store = globalThis as typeof globalThis & { guestbookRedis?: Clients };
const clients = () => (store.guestbookRedis ??= {});

/** Keeps guestbook_redis_connected{role} up to date with a shared client's connection. */
function reportConnection(client: Redis, role: Role): Redis {
  const connected = metrics().redisConnected;
  connected.set({ role }, 0);
  client.on('ready', () => connected.set({ role }, 1));
  client.on('close', () => connected.set({ role }, 0));
  return client;
}

export function redisClient(role: Role): Redis {
  return (clients()[role] ??= reportConnection(createRedisClient(role), role));
}

/** Whether the replica may serve reads now, and how far it lags (see lib/replica-health.ts). */
export function replicaMonitor(): ReplicaMonitor {
  return (clients().monitor ??= new ReplicaMonitor(redisClient('replica'), redisClient('master'), getConfig().replicaMaxLinkDownMs));
}

/** Closes both clients (graceful shutdown, tests). */
export async function closeRedis(): Promise<void> {
  const { master, replica, monitor } = clients();
  store.guestbookRedis = undefined;
  monitor?.stop();
  await Promise.all([master, replica].filter((client) => client !== undefined).map((client) => client.quit().catch(() => client.disconnect())));
}

/** True for an error that says the server is unreachable or not ready, as opposed to a wrong command. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof ReplyError) return TRANSIENT_REPLIES.test((error as Error).message);
  return error instanceof Error;
}

export const storageUnavailable = (role: Role, cause: unknown) =>
  new AppError('storage_unavailable', `The guestbook's storage (${role}) is not answering; try again shortly.`, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    cause,
  });

// A client that is waiting to reconnect would only queue the command: fail at once instead.
function assertConnectable(client: Redis, role: Role): void {
  if (client.status === 'reconnecting' || client.status === 'end') throw storageUnavailable(role, new Error(`status ${client.status}`));
}

const isUnavailableError = (error: unknown): error is AppError =>
  error instanceof AppError && error.code === 'storage_unavailable';

async function run<T>(role: Role, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = redisClient(role);
  const timer = metrics().redisCommands.startTimer({ role });
  try {
    assertConnectable(client, role);
    const result = await command(client);
    timer({ outcome: 'ok' });
    return result;
  } catch (error) {
    const unavailable = error instanceof AppError ? isUnavailableError(error) : isUnavailable(error);
    timer({ outcome: unavailable ? 'unavailable' : 'error' });
    if (error instanceof AppError) throw error;
    throw unavailable ? storageUnavailable(role, error) : error;
  }
}

/** Runs a write (or a read that must see every write) on the master. */
export function onMaster<T>(command: (client: Redis) => Promise<T>): Promise<T> {
  return run('master', command);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const READ_PATIENCE = 3;

/**
 * Runs a read on the replica while it is trusted, else on the master; when the first choice does not
 * answer, on the other one. While neither answers — a failover, when the sentinels make every client
 * reconnect — it keeps trying both for up to three command timeouts before it gives up with a 503.
 */
export async function onReplica<T>(command: (client: Redis) => Promise<T>): Promise<T> {
  const monitor = replicaMonitor();
  const deadline = Date.now() + READ_PATIENCE * getConfig().redisTimeoutMs;
  for (;;) {
    const order: Role[] = monitor.current().trusted ? ['replica', 'master'] : ['master', 'replica'];
    for (const role of order) {
      try {
        const result = await run(role, command);
        metrics().reads.inc({ source: role });
        return result;
      } catch (error) {
        const giveUp = !isUnavailableError(error) || (Date.now() >= deadline && role === order[1]);
        if (giveUp) metrics().reads.inc({ source: 'none' });
        if (!isUnavailableError(error)) throw error;
        if (role === 'replica') {
          monitor.markUnreachable();
          metrics().replicaFallbacks.inc();
        }
        logger.warn({ err: error.cause, role }, `read failed on the ${role}`);
        if (giveUp) throw error;
      }
    }
    await sleep(50);
  }
}
