import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { JOBS, prometheusConfig, type Target } from '../monitoring/prometheus';
import { NGINX_EXPORTER, REDIS_EXPORTER, startNginxExporter, startRedisExporter, type Exporter } from './exporters';
import { HAPROXY, NGINX, queueTimeoutFromEnv, startFrontTier, type FrontTier } from './front-tier';
import { METRICS_USER } from './redis-acl';
import { startRedisPair, type Credentials, type RedisPair } from './redis-server';
import { ensureSystemPackages, REDIS, type SystemPackage } from './system-packages';

/**
 * The local stack: `npm start` (production build behind the front tier, nginx and the admission
 * queue, as in a frontend pod)
 * and `npm run dev` (next dev, alone). Without any REDIS_*
 * variable it runs its own Redis master and replica, with their data in GUESTBOOK_DATA_DIR (.data by
 * default), and points the app at them; with REDIS_MASTER_URL, REDIS_SENTINELS or GET_HOSTS_FROM
 * set, it runs the app against those instead. Beside each Redis server and the front tier runs its
 * Prometheus exporter, as in the pods; the start output names every metrics port, and a Prometheus
 * configuration for them is written beside the data. Ctrl-C stops everything.
 */

const ROOT = path.resolve(__dirname, '..');
const NEXT = path.join(ROOT, 'node_modules', '.bin', 'next');
const SOURCES = ['app', 'lib', 'components', 'i18n', 'messages', 'instrumentation.ts', 'proxy.ts', 'next.config.js', 'tsconfig.json', 'package-lock.json'];

const log = (line: string) => console.log(`[stack] ${line}`);

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(target).map((name) => newestMtime(path.join(target, name))));
}

/** The standalone server that `next build` makes, which the container and `npm start` run. */
export const STANDALONE = path.join(ROOT, '.next', 'standalone');

/**
 * Where the local stack listens: GUESTBOOK_HOST, else every IPv4 interface, so that localhost answers
 * and so does a container's published port. Never HOSTNAME: Docker and Kubernetes set it to the
 * machine's name, which resolves to the container's own address, and Next's standalone server would
 * listen there and not on loopback.
 */
const DEFAULT_HOST = '0.0.0.0';
export const listenHost = (env: NodeJS.ProcessEnv) => env.GUESTBOOK_HOST || DEFAULT_HOST;

/**
 * Builds when any source is newer than the last build, then gives the standalone server the static
 * assets that it serves but does not copy itself: `npm start` runs what the container runs.
 */
export function buildIfNeeded(): void {
  const buildId = path.join(STANDALONE, '.next', 'BUILD_ID');
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  if (built <= Math.max(...SOURCES.map((source) => newestMtime(path.join(ROOT, source))))) {
    log('building the app (next build)…');
    const result = spawnSync(NEXT, ['build'], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error('next build failed');
  }
  cpSync(path.join(ROOT, '.next', 'static'), path.join(STANDALONE, '.next', 'static'), { recursive: true });
  if (existsSync(path.join(ROOT, 'public'))) cpSync(path.join(ROOT, 'public'), path.join(STANDALONE, 'public'), { recursive: true });
}

export function serverCommand(mode: 'start' | 'dev', port: string, host = DEFAULT_HOST): [string, string[]] {
  return mode === 'start' ? [process.execPath, [path.join(STANDALONE, 'server.js')]] : [NEXT, ['dev', '--port', port, '--hostname', host]];
}

// Local Redis still requires passwords (administrator, app user, metrics user); made once, kept
// beside the data. A file from before the metrics user gets its password added.
function localCredentials(dir: string): Required<Credentials> {
  const file = path.join(dir, 'credentials.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Credentials) : undefined;
  const secret = () => randomBytes(24).toString('base64url');
  const credentials = { password: secret(), appPassword: secret(), metricsPassword: secret(), ...known };
  if (!known?.metricsPassword) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  }
  return credentials;
}

const usesExternalRedis = (env: NodeJS.ProcessEnv) =>
  Boolean(env.REDIS_MASTER_URL || env.REDIS_SENTINELS || env.GET_HOSTS_FROM);

/** A loopback address for an exporter: its usual port when that is free, else any free one. */
const exporterListen = async (usual: number) => `127.0.0.1:${await getPort({ host: '127.0.0.1', port: usual })}`;

/** Where Prometheus finds each Redis server's figures: an exporter beside each, as in the pods. */
async function startRedisExporters(pair: RedisPair, password: string, dir: string): Promise<{ exporters: Exporter[]; targets: Target[] }> {
  const servers = [['master', pair.master, 9121], ['replica', pair.replica, 9122]] as const;
  const exporters: Exporter[] = [];
  for (const [role, server, usual] of servers) {
    const options = { address: `127.0.0.1:${server.port}`, user: METRICS_USER, password, listen: await exporterListen(usual) };
    exporters.push(await startRedisExporter({ ...options, log: path.join(dir, role, 'exporter.log') }));
  }
  const targets = servers.map(([role], index): Target => ({ job: JOBS.redis, name: `redis ${role} (redis_exporter)`, url: exporters[index]!.url, labels: { component: role } }));
  return { exporters, targets };
}

/** Writes a Prometheus configuration for the stack's metrics and names them all. */
function announceMetrics(targets: Target[], dataDir: string): void {
  const dir = path.join(dataDir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(targets));
  const width = Math.max(...targets.map((target) => target.name.length));
  log('metrics (Prometheus):');
  for (const target of targets) log(`  ${target.name.padEnd(width)}  ${target.url}`);
  log(`Prometheus for them, with the alerting rules (README, "Operations"): prometheus --config.file=${config} --storage.tsdb.path=${path.join(dir, 'data')}`);
}

/** The stack's own Redis master and replica, each with its exporter where there is one. */
async function startLocalRedis(dataDir: string): Promise<{ pair: RedisPair; exporters: Exporter[]; targets: Target[] }> {
  ensureSystemPackages([REDIS], log);
  const dir = path.join(dataDir, 'redis');
  const credentials = localCredentials(dir);
  const pair = await startRedisPair({ dir, ...credentials });
  log(`redis master on 127.0.0.1:${pair.master.port}, replica on 127.0.0.1:${pair.replica.port} (linked), data in ${dir}`);
  if (!available(REDIS_EXPORTER, 'no Redis exporters')) return { pair, exporters: [], targets: [] };
  return { pair, ...(await startRedisExporters(pair, credentials.metricsPassword, dir)) };
}

async function main(mode: 'start' | 'dev'): Promise<void> {
  // Built before Redis starts, so that a failed build leaves nothing running.
  if (mode === 'start') buildIfNeeded();
  const env = { ...process.env };
  const dataDir = path.resolve(ROOT, env.GUESTBOOK_DATA_DIR ?? '.data');
  let pair: RedisPair | undefined;
  const exporters: Exporter[] = [];
  const targets: Target[] = [];
  if (usesExternalRedis(env)) {
    log('using the Redis named by the environment (no Redis exporters: run them beside those servers)');
  } else {
    const local = await startLocalRedis(dataDir);
    pair = local.pair;
    exporters.push(...local.exporters);
    targets.push(...local.targets);
    env.REDIS_MASTER_URL = pair.master.appUrl;
    env.REDIS_REPLICA_URL = pair.replica.appUrl;
  }

  const port = (env.PORT ??= '3000');
  const host = listenHost(env);
  const front = mode === 'start' ? frontTierAvailable() : false;
  // Behind the front tier, Next.js listens on loopback only and trusts the one hop in front of it.
  const appPort = front ? String(await getPort({ host: '127.0.0.1' })) : port;
  Object.assign(env, front ? { PORT: appPort, HOSTNAME: '127.0.0.1', ...BEHIND_FRONT_TIER } : { HOSTNAME: host });
  // The production server's own graceful shutdown (lib/shutdown.ts) handles signals, as in the container.
  if (mode === 'start') env.NEXT_MANUAL_SIG_HANDLE = 'true';
  const [command, args] = serverCommand(mode, appPort, host);
  const app = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env });
  // Killed by the signal that we sent is a clean stop.
  const appExited = new Promise<number>((resolve) => app.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 0 : 1))));
  let frontTier: FrontTier | undefined;
  if (front) {
    const dir = path.join(dataDir, 'front-tier');
    const timeoutMs = queueTimeoutFromEnv(env);
    frontTier = await startFrontTier({
      listen: `${host}:${port}`,
      upstreams: [`127.0.0.1:${appPort}`],
      dir,
      staticDir: path.join(ROOT, '.next', 'static'),
      accessLog: path.join(dir, 'access.log'),
      queueListen: await queueListen(),
      queue: { timeoutMs },
    });
    log(`front tier (nginx) on ${host}:${port}, then the admission queue (HAProxy, deadline ${timeoutMs} ms), in front of Next.js on 127.0.0.1:${appPort}`);
    if (available(NGINX_EXPORTER, 'no front tier exporter')) {
      const exporter = await startNginxExporter({ statusUrl: frontTier.statusUrl, listen: await exporterListen(9113), log: path.join(dir, 'exporter.log') });
      exporters.push(exporter);
      targets.unshift({ job: JOBS.frontTier, name: 'front tier (nginx exporter)', url: exporter.url });
    }
    targets.unshift({ job: JOBS.queue, name: 'admission queue (HAProxy)', url: frontTier.queueMetricsUrl });
  }
  const appHost = front || host === DEFAULT_HOST ? '127.0.0.1' : host;
  targets.unshift({ job: JOBS.app, name: 'app (Next.js)', url: `http://${appHost}:${appPort}/api/metrics` });
  announceMetrics(targets, dataDir);
  log(`serving http://localhost:${port}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await frontTier?.stop();
    if (app.exitCode === null) app.kill('SIGTERM');
    const code = await appExited;
    await Promise.all(exporters.map((exporter) => exporter.stop()));
    await pair?.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  void appExited.then(stop);
}

/** A program that the stack can do without: installed like Redis where it can be, else named with how to get it. */
function available(program: SystemPackage, without: string): boolean {
  try {
    ensureSystemPackages([program], log);
    return true;
  } catch (error) {
    log(`${without}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/**
 * What Next.js is told behind the front tier: it puts a placeholder nonce in pages, trusts the one hop
 * in front of it, and keeps idle connections longer than the admission queue does, which shares them.
 */
export const BEHIND_FRONT_TIER = { FRONT_TIER: 'true', TRUST_PROXY: '1', KEEP_ALIVE_TIMEOUT: '30000' };

/** The admission queue's loopback ports: the pod's where they are free, as the exporters' are. */
async function queueListen() {
  const [api, pages, health, metrics] = await Promise.all([8082, 8083, 8084, 8405].map((usual) => exporterListen(usual)));
  return { api: api!, pages: pages!, health: health!, metrics: metrics! };
}

/** nginx and HAProxy; without them the stack serves with Next.js alone. */
function frontTierAvailable(): boolean {
  if (available(NGINX, 'no front tier') && available(HAPROXY, 'no front tier')) return true;
  log('serving with Next.js alone: no cache, no static files from disk, no overload shedding (README, "Front tier")');
  return false;
}

// Run as a script only: the benchmark imports buildIfNeeded from here.
if (require.main === module) {
  const mode = process.argv[2];
  if (mode !== 'start' && mode !== 'dev') {
    console.error('usage: tsx scripts/stack.ts start|dev');
    process.exit(2);
  }
  main(mode).catch((error: unknown) => {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
