import 'server-only';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import { getConfig, type Config } from './config';
import { logger } from './log';
import { AppError } from './http/problem';

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
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  };
  if (config.redis.mode === 'sentinel') {
    const { sentinels, masterName, password } = config.redis;
    return { ...base, sentinels, name: masterName, role: role === 'master' ? 'master' : 'slave', password, sentinelPassword: password };
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
  return client;
}

const store = globalThis as typeof globalThis & { guestbookRedis?: Partial<Record<Role, Redis>> };

export function redisClient(role: Role): Redis {
  const clients = (store.guestbookRedis ??= {});
  return (clients[role] ??= createRedisClient(role));
}

/** Closes both clients (graceful shutdown, tests). */
export async function closeRedis(): Promise<void> {
  const clients = Object.values(store.guestbookRedis ?? {});
  store.guestbookRedis = undefined;
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
}

/** True for an error that says the server is unreachable or not ready, as opposed to a wrong command. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof ReplyError) return TRANSIENT_REPLIES.test((error as Error).message);
  return error instanceof Error;
}

const unavailable = (role: Role, cause: unknown) =>
  new AppError('storage_unavailable', `The guestbook's storage (${role}) is not answering; try again shortly.`, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    cause,
  });

// A client that is waiting to reconnect would only queue the command: fail at once instead.
function assertConnectable(client: Redis, role: Role): void {
  if (client.status === 'reconnecting' || client.status === 'end') throw unavailable(role, new Error(`status ${client.status}`));
}

async function run<T>(role: Role, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = redisClient(role);
  try {
    assertConnectable(client, role);
    return await command(client);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw isUnavailable(error) ? unavailable(role, error) : error;
  }
}

/** Runs a write (or a read that must see every write) on the master. */
export function onMaster<T>(command: (client: Redis) => Promise<T>): Promise<T> {
  return run('master', command);
}

/** Runs a read on a replica, and on the master when the replica does not answer. */
export async function onReplica<T>(command: (client: Redis) => Promise<T>): Promise<T> {
  try {
    return await run('replica', command);
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'storage_unavailable')) throw error;
    logger.warn({ err: error.cause }, 'replica unavailable; reading from the master');
    return run('master', command);
  }
}
