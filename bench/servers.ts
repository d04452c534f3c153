import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { startRedisPair, type RedisPair } from '../scripts/redis-server';
import { startFrontTier, type FrontTier } from '../scripts/front-tier';
import { BEHIND_FRONT_TIER, STANDALONE } from '../scripts/stack';

/**
 * What the benchmark runs: a Redis master and replica in a temporary folder, and two processes each of
 * the app and of the bare floor server, one per core, as two pods on one node would run. Everything
 * listens on 127.0.0.1 only, and everything is stopped on exit, Ctrl-C and errors.
 */

export interface ServerProcess {
  origin: string;
  pid: number;
  child: ChildProcess;
  log: string;
}

export interface Stack {
  /** As the administrator, for seeding; the servers connect as the app's restricted user. */
  redis: { masterUrl: string; replicaUrl: string };
  app: ServerProcess[];
  bare: ServerProcess[];
  /** The front tier (nginx, then the admission queue) in front of the app processes, as npm start and a frontend pod run it. */
  front: FrontTier;
  /** For more app processes alike: the first build, the app processes' environment, the folder of their logs. */
  build: string;
  appEnv: Record<string, string>;
  dir: string;
}

export const PROCESSES_PER_KIND = 2;
const READY_TIMEOUT_MS = 60_000;
const ROOT = path.resolve(__dirname, '..');

// A last resort when the process exits without running stopAll(): nothing is left running.
const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));

const cleanups: (() => Promise<void> | void)[] = [];
let stopping: Promise<void> | undefined;

/** Stops whatever has been started, the newest first; safe to call again (Ctrl-C while stopping). */
export function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  })();
  return stopping;
}

async function waitUntilReady(server: ServerProcess, readyPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) break;
    const status = await fetch(server.origin + readyPath).then((response) => response.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${server.origin}${readyPath} did not answer 200; its log:\n${readFileSync(server.log, 'utf8').slice(-2000)}`);
}

/** Starts a server on a free loopback port (given to it as PORT) and waits until readyPath answers 200. */
export async function startProcess(name: string, [command, args]: [string, string[]], env: Record<string, string>, readyPath: string, dir: string) {
  const port = await getPort({ host: '127.0.0.1' });
  const log = path.join(dir, `${name}.log`);
  const output = openSync(log, 'a');
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', output, output] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const server = { origin: `http://127.0.0.1:${port}`, pid: child.pid!, child, log };
  cleanups.push(() => stopProcess(server));
  await waitUntilReady(server, readyPath);
  return server;
}

export async function stopProcess({ child }: ServerProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function serverEnv(redis: RedisPair): Record<string, string> {
  return {
    HOSTNAME: '127.0.0.1',
    REDIS_MASTER_URL: redis.master.appUrl,
    REDIS_REPLICA_URL: redis.replica.appUrl,
    // All the load comes from one address: the per-client write limit would turn it into 429s.
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    NEXT_TELEMETRY_DISABLED: '1',
    // As the image and `npm start` run it: the app drains and closes itself on SIGTERM.
    NEXT_MANUAL_SIG_HANDLE: 'true',
  };
}

export interface StackOptions {
  /** The standalone builds to run, one app process each: by default this worktree's, twice. */
  builds?: string[];
  bare?: number;
  /** For the app processes, e.g. --cpu-prof (which NODE_OPTIONS does not allow). */
  nodeFlags?: string[];
}

async function startServers(dir: string, redis: RedisPair, { builds, bare, nodeFlags }: Required<StackOptions>) {
  const env = serverEnv(redis);
  // The app processes stand behind the front tier (and answer straight too, for the rows without it).
  const appEnv: Record<string, string> = { ...env, ...BEHIND_FRONT_TIER };
  const app: ServerProcess[] = [];
  for (const [i, build] of builds.entries()) {
    // As `npm start` and the image run it (scripts/stack.ts serverCommand).
    app.push(await startProcess(`app-${i}`, [process.execPath, [...nodeFlags, path.join(build, 'server.js')]], appEnv, '/api/readyz', dir));
  }
  const bareCommand: [string, string[]] = [process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'bare-server.ts')]];
  const bareServers: ServerProcess[] = [];
  for (let i = 0; i < bare; i++) bareServers.push(await startProcess(`bare-${i}`, bareCommand, env, '/healthz', dir));
  return { app, bare: bareServers, appEnv };
}

/** A temporary folder and a Redis master and replica in it; stopAll() removes them. */
export async function startRedis(): Promise<{ dir: string; redis: RedisPair }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await startRedisPair({ dir: path.join(dir, 'redis'), password: 'bench-admin', appPassword: 'bench-app' });
  [redis.master.process, redis.replica.process].forEach((child) => running.add(child));
  cleanups.push(() => redis.stop());
  return { dir, redis };
}

/** Starts everything; stopAll() stops it, also when this fails half-way. */
export async function startStack({
  builds = Array<string>(PROCESSES_PER_KIND).fill(STANDALONE),
  bare = PROCESSES_PER_KIND,
  nodeFlags = [],
}: StackOptions = {}): Promise<Stack> {
  const { dir, redis } = await startRedis();
  const { app, bare: bareServers, appEnv } = await startServers(dir, redis, { builds, bare, nodeFlags });
  const front = await startFrontTier({
    listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
    upstreams: app.map((server) => new URL(server.origin).host),
    dir: path.join(dir, 'front-tier'),
    staticDir: path.join(ROOT, '.next', 'static'),
  });
  cleanups.push(() => front.stop());
  return { redis: { masterUrl: redis.master.url, replicaUrl: redis.replica.url }, app, bare: bareServers, front, build: builds[0]!, appEnv, dir };
}
