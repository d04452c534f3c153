import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import Redis from 'ioredis';
import { APP_USER, appUserArgs, metricsUserArgs } from './redis-acl';

/**
 * Real redis-server processes for the local stack and the tests: a master with an append-only file,
 * replicas linked to it, each on a free loopback port, in a folder of their own.
 */

export interface RedisServer {
  port: number;
  /** As the administrator (the default user): for tests and operations. */
  url: string;
  /** As the app's restricted user (scripts/redis-acl.ts). */
  appUrl: string;
  dir: string;
  process: ChildProcess;
  /** Stops the server: SIGTERM lets it flush its append-only file; SIGKILL is a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface RedisServerOptions extends Credentials {
  dir: string;
  port?: number;
  replicaOf?: RedisServer;
  extraArgs?: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/** Runs one command on a short-lived connection. */
export async function withClient<T>(url: string, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  // A refused handshake (NOAUTH, WRONGPASS) fails the connection, and ioredis tells why only in an
  // 'error' event: the caller gets that reason rather than "Connection is closed".
  let failure: unknown;
  client.on('error', (error) => (failure = error));
  try {
    await client.connect().catch((error: unknown) => {
      throw failure ?? error;
    });
    return await command(client);
  } finally {
    client.disconnect();
  }
}

export async function waitForReplicaLink(replicaUrl: string, timeoutMs = 15_000): Promise<void> {
  await waitFor('the replica to link to its master', timeoutMs, async () => {
    const info = await withClient(replicaUrl, (client) => client.info('replication'));
    return /^master_link_status:up\r?$/m.test(info) ? true : undefined;
  });
}

const replicationOffset = (info: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);

/** Waits until the replica has applied everything that the master had written when this was called. */
export async function waitForReplicaCatchUp(masterUrl: string, replicaUrl: string, timeoutMs = 60_000): Promise<void> {
  const target = replicationOffset(await withClient(masterUrl, (client) => client.info('replication')), 'master_repl_offset');
  await waitFor('the replica to catch up with its master', timeoutMs, async () => {
    const info = await withClient(replicaUrl, (client) => client.info('replication'));
    return replicationOffset(info, 'slave_repl_offset') >= target ? true : undefined;
  });
}

function logTail(dir: string): string {
  const file = path.join(dir, 'redis.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-8).join('\n') : '';
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const { dir, password, appPassword, metricsPassword, replicaOf } = options;
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--logfile', path.join(dir, 'redis.log'),
    '--daemonize', 'no',
    '--requirepass', password,
    '--masterauth', password,
    // Every acknowledged write is on disk before the reply: see docs/decisions/007-durability.md.
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--save', '',
    ...appUserArgs(appPassword),
    ...(metricsPassword ? metricsUserArgs(metricsPassword) : []),
    '--repl-diskless-sync', 'yes',
    '--repl-diskless-sync-delay', '0',
    ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf.port)] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const appUrl = `redis://${APP_USER}:${encodeURIComponent(appPassword)}@127.0.0.1:${port}`;

  try {
    await waitFor(`redis-server on port ${port}`, 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}:\n${logTail(dir)}`);
      return (await withClient(url, (client) => client.ping())) === 'PONG' ? true : undefined;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  return {
    port,
    url,
    appUrl,
    dir,
    process: child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A server that is busy with its first sync can miss one signal: repeat it until it exits.
      child.kill(signal);
      const again = setInterval(() => child.kill(signal), 250);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearInterval(again);
      clearTimeout(timer);
    },
  };
}

export interface RedisPair {
  master: RedisServer;
  replica: RedisServer;
  stop(): Promise<void>;
}

export interface Credentials {
  /** Redis's administrator (the default user). */
  password: string;
  /** The app's restricted user (scripts/redis-acl.ts). */
  appPassword: string;
  /** The metrics exporter's user, created only when given (scripts/redis-acl.ts). */
  metricsPassword?: string;
}

/** A master and one replica, returned once the replica's link to the master is up. */

export async function startRedisPair({ dir, ...credentials }: { dir: string } & Credentials): Promise<RedisPair> {
  const master = await startRedisServer({ dir: path.join(dir, 'master'), ...credentials });
  let replica: RedisServer | undefined;
  const stop = async () => {
    await replica?.stop();
    await master.stop();
  };
  try {
    replica = await startRedisServer({ dir: path.join(dir, 'replica'), ...credentials, replicaOf: master });
    await waitForReplicaLink(replica.url);
    // A test may swap in a restarted server: stop() ends the ones the pair holds when it is called.
    const pair: RedisPair = {
      master,
      replica,
      async stop() {
        await pair.replica.stop();
        await pair.master.stop();
      },
    };
    return pair;
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface Sentinel {
  port: number;
  /** With the sentinel's password. */
  url: string;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  dir: string;
  master: Pick<RedisServer, 'port'>;
  name: string;
  /** The servers' administrator, to reconfigure them in a failover. */
  password: string;
  /** The sentinel's own (requirepass), which the sentinels also give each other. */
  sentinelPassword: string;
  quorum: number;
}

/** A Redis Sentinel watching `master` under `name`, deciding with `quorum` votes, quick to notice. */
export async function startSentinel(options: SentinelOptions): Promise<Sentinel> {
  const { dir, master, name, password, sentinelPassword, quorum } = options;
  mkdirSync(dir, { recursive: true });
  const port = await getPort({ host: '127.0.0.1' });
  // Sentinel rewrites its configuration file as the topology changes, so it gets a file of its own.
  const config = path.join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${path.join(dir, 'sentinel.log')}`,
      `requirepass ${sentinelPassword}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} ${quorum}`,
      `sentinel auth-pass ${name} ${password}`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 4000`,
      `sentinel parallel-syncs ${name} 2`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://:${encodeURIComponent(sentinelPassword)}@127.0.0.1:${port}`;
  await waitFor(`sentinel on port ${port}`, 10_000, async () => ((await withClient(url, (client) => client.ping())) === 'PONG' ? true : undefined));
  return {
    port,
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
