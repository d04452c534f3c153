import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import getPort from 'get-port';
import { LOCALE_COOKIE } from '../i18n/locales';
import { NONCE_PLACEHOLDER } from '../lib/http/csp';
import type { SystemPackage } from './system-packages';

/**
 * The front tier (nginx, front-tier/nginx.conf) for the local stack, the benchmark, the tests and
 * the image: one template, filled in here for each of them.
 */

const ROOT = path.resolve(__dirname, '..');
const TEMPLATE = path.join(ROOT, 'front-tier', 'nginx.conf');

export const NGINX: SystemPackage = {
  command: 'nginx',
  apt: ['nginx'],
  hint: 'Install nginx: sudo apt-get install -y nginx (Debian, Ubuntu) or brew install nginx (macOS).',
};

export interface FrontTierOptions {
  /** host:port to listen on. */
  listen: string;
  /**
   * host:port on loopback where nginx's stub_status answers, for the nginx exporter; a free loopback
   * port when not given.
   */
  statusListen?: string;
  /** host:port of each Next.js server. */
  upstreams: string[];
  /** A writable folder for nginx's pid, temporary files and cache (nginx creates their folders in it). */
  dir: string;
  /** Next's .next/static, served as /_next/static. */
  staticDir: string;
  workers?: number | 'auto';
  accessLog?: string;
  errorLog?: string;
  /** Requests in flight to one Next.js process before the front tier answers 503. */
  maxConnsPerServer?: number;
  maxStreamsPerServer?: number;
  /**
   * The `user` directive: whom the workers run as when the master runs as root. None by default: an
   * unprivileged master (the image) runs its workers as itself, and a build that renders as root
   * must not make them root.
   */
  user?: string;
}

export const DEFAULT_MAX_CONNS = 64;
const DEFAULT_MAX_STREAMS = 2_000;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/;

export function renderFrontTierConfig(options: FrontTierOptions & { statusListen: string }): string {
  if (!LOOPBACK.test(options.statusListen)) throw new Error(`the front tier's status port must be on loopback (e.g. 127.0.0.1:8081), not ${options.statusListen}`);
  const servers = (limit: number) => options.upstreams.map((upstream) => `        server ${upstream} max_conns=${limit};`).join('\n');
  const values: Record<string, string> = {
    user: options.user ? `user ${options.user};\n` : '',
    workers: String(options.workers ?? 'auto'),
    runDir: options.dir,
    // Directly in dir: nginx makes each of these folders, but not a missing parent (an empty emptyDir).
    tempDir: options.dir,
    cacheDir: path.join(options.dir, 'cache'),
    errorLog: options.errorLog ?? 'stderr',
    accessLog: options.accessLog ?? 'off',
    mimeTypes: '/etc/nginx/mime.types',
    listen: options.listen,
    statusListen: options.statusListen,
    staticDir: options.staticDir,
    servers: servers(options.maxConnsPerServer ?? DEFAULT_MAX_CONNS),
    eventServers: servers(options.maxStreamsPerServer ?? DEFAULT_MAX_STREAMS),
    noncePlaceholder: NONCE_PLACEHOLDER,
    localeCookie: LOCALE_COOKIE,
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`front-tier/nginx.conf: no value for {{${name}}}`);
    return value;
  });
}

export interface FrontTier {
  origin: string;
  /** nginx's stub_status, on loopback: what the nginx exporter reads. */
  statusUrl: string;
  /** The master process; its workers are its children. */
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Writes the configuration into options.dir and runs nginx in the foreground until stop(). */
export async function startFrontTier(options: FrontTierOptions): Promise<FrontTier> {
  mkdirSync(options.dir, { recursive: true });
  const conf = path.join(options.dir, 'nginx.conf');
  const statusListen = options.statusListen ?? `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`;
  // As root (a container, CI) the workers would drop to nobody, who cannot read a checkout under
  // /root: they run as the rest of the local stack does.
  writeFileSync(conf, renderFrontTierConfig({ user: process.getuid?.() === 0 ? 'root' : undefined, ...options, statusListen }));
  const log = openSync(path.join(options.dir, 'nginx.log'), 'a');
  // -e: nginx opens its default error log before it reads the configuration; keep that one here too.
  const child = spawn('nginx', ['-c', conf, '-e', path.join(options.dir, 'nginx-start.log')], { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [host, port] = [options.listen.slice(0, options.listen.lastIndexOf(':')), options.listen.slice(options.listen.lastIndexOf(':') + 1)];
  const origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // QUIT: finish the requests in flight, then exit.
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await fetch(`${origin}/_front-tier/healthz`).then((response) => response.ok, () => false)) {
      return { origin, statusUrl: `http://${statusListen}/stub_status`, process: child, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`nginx did not start; its log:\n${readFileSync(path.join(options.dir, 'nginx.log'), 'utf8').slice(-2000)}`);
}

const USAGE =
  'usage: tsx scripts/front-tier.ts render --listen HOST:PORT --status 127.0.0.1:PORT --upstream HOST:PORT --dir DIR --static-dir DIR [--access-log FILE] [--user NAME] [--workers N|auto]';

/** `tsx scripts/front-tier.ts render --listen … --upstream … --dir … --static-dir …`: the image's config, on stdout. */
function renderCommand(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string' },
      status: { type: 'string' },
      upstream: { type: 'string', multiple: true },
      dir: { type: 'string' },
      'static-dir': { type: 'string' },
      'access-log': { type: 'string' },
      user: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const { listen, status, upstream, dir, 'static-dir': staticDir, workers } = values;
  if (!listen || !status || !upstream?.length || !dir || !staticDir || (workers !== undefined && workers !== 'auto' && !/^[1-9]\d*$/.test(workers))) {
    console.error(USAGE);
    process.exit(2);
  }
  process.stdout.write(renderFrontTierConfig({
    listen,
    statusListen: status,
    upstreams: upstream,
    dir,
    staticDir,
    accessLog: values['access-log'],
    user: values.user,
    workers: workers === undefined || workers === 'auto' ? 'auto' : Number(workers),
  }));
}

if (require.main === module && process.argv[2] === 'render') renderCommand(process.argv.slice(3));
