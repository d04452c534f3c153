import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRedisPair, type Credentials, type RedisPair } from './redis-server';
import { ensureSystemPackages, REDIS } from './system-packages';

/**
 * The local stack: `npm start` (production build) and `npm run dev` (next dev). Without any REDIS_*
 * variable it runs its own Redis master and replica, with their data in GUESTBOOK_DATA_DIR (.data by
 * default), and points the app at them; with REDIS_MASTER_URL, REDIS_SENTINELS or GET_HOSTS_FROM
 * set, it runs the app against those instead. Ctrl-C stops everything.
 */

const ROOT = path.resolve(__dirname, '..');
const NEXT = path.join(ROOT, 'node_modules', '.bin', 'next');
const SOURCES = ['app', 'lib', 'components', 'instrumentation.ts', 'next.config.js', 'tsconfig.json', 'package-lock.json'];

const log = (line: string) => console.log(`[stack] ${line}`);

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(target).map((name) => newestMtime(path.join(target, name))));
}

const STANDALONE = path.join(ROOT, '.next', 'standalone');

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

export function serverCommand(mode: 'start' | 'dev', port: string): [string, string[]] {
  return mode === 'start' ? [process.execPath, [path.join(STANDALONE, 'server.js')]] : [NEXT, ['dev', '--port', port]];
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
  // The production server's own graceful shutdown (lib/shutdown.ts) handles signals, as in the container.
  if (mode === 'start') env.NEXT_MANUAL_SIG_HANDLE = 'true';
  const [command, args] = serverCommand(mode, port);
  const app = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env });
  // Killed by the signal that we sent is a clean stop.
  const appExited = new Promise<number>((resolve) => app.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 0 : 1))));
  log(`serving http://localhost:${port}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
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
