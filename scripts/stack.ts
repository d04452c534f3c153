import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { NGINX, startFrontTier, type FrontTier } from './front-tier';
import { startRedisPair, type Credentials, type RedisPair } from './redis-server';
import { ensureSystemPackages, REDIS } from './system-packages';

/**
 * The local stack: `npm start` (production build behind the front tier, nginx, as in a frontend pod)
 * and `npm run dev` (next dev, alone). Without any REDIS_*
 * variable it runs its own Redis master and replica, with their data in GUESTBOOK_DATA_DIR (.data by
 * default), and points the app at them; with REDIS_MASTER_URL, REDIS_SENTINELS or GET_HOSTS_FROM
 * set, it runs the app against those instead. Ctrl-C stops everything.
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

// Local Redis still requires passwords (administrator and app user); made once, kept beside the data.
function localCredentials(dir: string): Credentials {
  const file = path.join(dir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  mkdirSync(dir, { recursive: true });
  const secret = () => randomBytes(24).toString('base64url');
  const credentials = { password: secret(), appPassword: secret() };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

const usesExternalRedis = (env: NodeJS.ProcessEnv) =>
  Boolean(env.REDIS_MASTER_URL || env.REDIS_SENTINELS || env.GET_HOSTS_FROM);

async function main(mode: 'start' | 'dev'): Promise<void> {
  // Built before Redis starts, so that a failed build leaves nothing running.
  if (mode === 'start') buildIfNeeded();
  const env = { ...process.env };
  let pair: RedisPair | undefined;
  if (usesExternalRedis(env)) {
    log('using the Redis named by the environment');
  } else {
    ensureSystemPackages([REDIS], log);
    const dir = path.resolve(ROOT, env.GUESTBOOK_DATA_DIR ?? '.data', 'redis');
    pair = await startRedisPair({ dir, ...localCredentials(dir) });
    env.REDIS_MASTER_URL = pair.master.appUrl;
    env.REDIS_REPLICA_URL = pair.replica.appUrl;
    log(`redis master on 127.0.0.1:${pair.master.port}, replica on 127.0.0.1:${pair.replica.port} (linked), data in ${dir}`);
  }

  const port = (env.PORT ??= '3000');
  const host = listenHost(env);
  const front = mode === 'start' ? await frontTierAvailable() : false;
  // Behind the front tier, Next.js listens on loopback only and trusts the one hop in front of it.
  const appPort = front ? String(await getPort({ host: '127.0.0.1' })) : port;
  Object.assign(env, front ? { PORT: appPort, HOSTNAME: '127.0.0.1', FRONT_TIER: 'true', TRUST_PROXY: '1' } : { HOSTNAME: host });
  // The production server's own graceful shutdown (lib/shutdown.ts) handles signals, as in the container.
  if (mode === 'start') env.NEXT_MANUAL_SIG_HANDLE = 'true';
  const [command, args] = serverCommand(mode, appPort, host);
  const app = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env });
  // Killed by the signal that we sent is a clean stop.
  const appExited = new Promise<number>((resolve) => app.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 0 : 1))));
  let frontTier: FrontTier | undefined;
  if (front) {
    const dir = path.resolve(ROOT, env.GUESTBOOK_DATA_DIR ?? '.data', 'front-tier');
    frontTier = await startFrontTier({
      listen: `${host}:${port}`,
      upstreams: [`127.0.0.1:${appPort}`],
      dir,
      staticDir: path.join(ROOT, '.next', 'static'),
      accessLog: path.join(dir, 'access.log'),
    });
    log(`front tier (nginx) on ${host}:${port} in front of Next.js on 127.0.0.1:${appPort} (metrics: http://127.0.0.1:${appPort}/api/metrics)`);
  }
  log(`serving http://localhost:${port}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await frontTier?.stop();
    if (app.exitCode === null) app.kill('SIGTERM');
    const code = await appExited;
    await pair?.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  void appExited.then(stop);
}

/** nginx, installed like Redis where it can be; without it the stack serves with Next.js alone. */
async function frontTierAvailable(): Promise<boolean> {
  try {
    ensureSystemPackages([NGINX], log);
    return true;
  } catch (error) {
    log(`no front tier: ${error instanceof Error ? error.message : String(error)}`);
    log('serving with Next.js alone: no cache, no static files from disk, no overload shedding (README, "Front tier")');
    return false;
  }
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
