import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import getPort from 'get-port';
import { z } from 'zod';
import { LOCALE_COOKIE } from '../i18n/locales';
import { NONCE_PLACEHOLDER } from '../lib/http/csp';
import { HAPROXY_STATUSES, haproxyErrorFile, NGINX_ERROR_STATUSES, writeErrorPages, type ErrorKind } from './front-tier-errors';
import type { SystemPackage } from './system-packages';

/**
 * The front tier for the local stack, the benchmark, the tests and the image: nginx
 * (front-tier/nginx.conf) in front of the admission queue, HAProxy (front-tier/haproxy.cfg), in front
 * of the Next.js servers, with their own error answers (scripts/front-tier-errors.ts). One pair of
 * templates, filled in here for each of them.
 */

const ROOT = path.resolve(__dirname, '..');
const NGINX_TEMPLATE = path.join(ROOT, 'front-tier', 'nginx.conf');
const HAPROXY_TEMPLATE = path.join(ROOT, 'front-tier', 'haproxy.cfg');

export const NGINX: SystemPackage = {
  command: 'nginx',
  apt: ['nginx'],
  hint: 'Install nginx: sudo apt-get install -y nginx (Debian, Ubuntu) or brew install nginx (macOS).',
};

export const HAPROXY: SystemPackage = {
  command: 'haproxy',
  apt: ['haproxy'],
  hint: 'Install HAProxy: sudo apt-get install -y haproxy (Debian, Ubuntu) or brew install haproxy (macOS).',
};

/** Where the admission queue listens: two doors (API, pages) for nginx, its liveness, its metrics. */
export interface QueueListen {
  api: string;
  pages: string;
  health: string;
  /** HAProxy's Prometheus exporter: loopback locally, the pod's address in a pod (Prometheus scrapes it). */
  metrics: string;
}

export interface QueueSettings {
  /** Requests in flight to one Next.js process at a time; the rest wait in the queue. */
  slotsPerServer: number;
  /** How long a request may wait for a slot before it is answered 503 (FRONT_TIER_QUEUE_TIMEOUT_MS). */
  timeoutMs: number;
  /** Requests waiting at most, all Next.js processes together: past that, 503 at once (bounded memory). */
  maxQueue: number;
  /** How long Next.js may take to answer before the queue answers 504. */
  serverTimeoutSeconds: number;
}

export interface FrontTierOptions {
  /** host:port to listen on. */
  listen: string;
  /**
   * host:port on loopback where nginx's stub_status answers, for the nginx exporter; a free loopback
   * port when not given.
   */
  statusListen?: string;
  /** The admission queue's addresses; free loopback ports when not given. */
  queueListen?: QueueListen;
  queue?: Partial<QueueSettings>;
  /** host:port of each Next.js server. */
  upstreams: string[];
  /** A writable folder for nginx's pid, temporary files and cache (nginx creates their folders in it). */
  dir: string;
  /** Next's .next/static, served as /_next/static. */
  staticDir: string;
  /** The front tier's error answers (writeErrorPages); dir/errors when not given. */
  errorsDir?: string;
  workers?: number | 'auto';
  accessLog?: string;
  errorLog?: string;
  maxStreamsPerServer?: number;
  /** How to start nginx and HAProxy, e.g. inside a memory cgroup (the benchmark); as they are by default. */
  launch?: Launch;
  /**
   * The `user` directive: whom the workers run as when the master runs as root. None by default: an
   * unprivileged master (the image) runs its workers as itself, and a build that renders as root
   * must not make them root.
   */
  user?: string;
}

export type Launch = (program: 'nginx' | 'haproxy', command: string, args: string[]) => [string, string[]];

type Rendered = FrontTierOptions & { statusListen: string; queueListen: QueueListen; errorsDir: string };

/** The queue of a frontend pod: 16 slots a Next.js process, 2 s, 2,048 waiting (decision 013). */
export const DEFAULT_QUEUE: QueueSettings = { slotsPerServer: 16, timeoutMs: 2_000, maxQueue: 2_048, serverTimeoutSeconds: 30 };
const DEFAULT_MAX_STREAMS = 2_000;

const QueueEnvSchema = z.object({
  FRONT_TIER_QUEUE_TIMEOUT_MS: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number of milliseconds, e.g. 2000')
      .transform(Number)
      .pipe(z.number().min(100, 'must be at least 100 (milliseconds)').max(60_000, 'must be at most 60000 (a minute)'))
      .optional(),
  ),
});

/** The queue's deadline from the environment, checked once, with a message that names the variable. */
export function queueTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const parsed = QueueEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; '));
  return parsed.data.FRONT_TIER_QUEUE_TIMEOUT_MS ?? DEFAULT_QUEUE.timeoutMs;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/;

function onLoopback(what: string, address: string, example: string): void {
  if (!LOOPBACK.test(address)) throw new Error(`${what} must be on loopback (e.g. ${example}), not ${address}`);
}

function fill(template: string, values: Record<string, string>): string {
  return readFileSync(template, 'utf8').replace(/\{\{(\w+)\}\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${path.relative(ROOT, template)}: no value for {{${name}}}`);
    return value;
  });
}

export function renderFrontTierConfig(options: Rendered): string {
  onLoopback("the front tier's status port", options.statusListen, '127.0.0.1:8081');
  onLoopback("the admission queue's API port", options.queueListen.api, '127.0.0.1:8082');
  onLoopback("the admission queue's pages port", options.queueListen.pages, '127.0.0.1:8083');
  const errorPages = NGINX_ERROR_STATUSES.filter((status) => status !== 502)
    .map((status) => `        error_page ${status} /_front-tier/error/${status}.$error_kind;`)
    .join('\n');
  return fill(NGINX_TEMPLATE, {
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
    queueApi: options.queueListen.api,
    queuePages: options.queueListen.pages,
    directServers: options.upstreams.map((upstream) => `        server ${upstream} max_conns=${options.maxStreamsPerServer ?? DEFAULT_MAX_STREAMS};`).join('\n'),
    errorPages,
    errorsDir: options.errorsDir,
    noncePlaceholder: NONCE_PLACEHOLDER,
    localeCookie: LOCALE_COOKIE,
  });
}

export function renderQueueConfig(options: Pick<Rendered, 'upstreams' | 'queueListen' | 'errorsDir' | 'queue'>): string {
  const { api, pages, health, metrics } = options.queueListen;
  onLoopback("the admission queue's API port", api, '127.0.0.1:8082');
  onLoopback("the admission queue's pages port", pages, '127.0.0.1:8083');
  const settings = { ...DEFAULT_QUEUE, ...options.queue };
  const errors = (kind: ErrorKind) =>
    HAPROXY_STATUSES.map((status) => `    errorfile ${status} ${path.join(options.errorsDir, haproxyErrorFile(status, kind))}`).join('\n');
  return fill(HAPROXY_TEMPLATE, {
    // The connections in flight and waiting, with room for nginx's idle ones and the probes.
    maxConnections: String(settings.maxQueue + settings.slotsPerServer * options.upstreams.length + 256),
    threads: '1',
    queueTimeoutMs: String(settings.timeoutMs),
    serverTimeout: String(settings.serverTimeoutSeconds),
    maxQueue: String(settings.maxQueue),
    slots: String(settings.slotsPerServer),
    apiListen: api,
    pagesListen: pages,
    healthListen: health,
    metricsListen: metrics,
    apiErrors: errors('api'),
    pageErrors: errors('page'),
    servers: options.upstreams.map((upstream, i) => `    server next${i} ${upstream} maxconn ${settings.slotsPerServer}`).join('\n'),
  });
}

export interface FrontTier {
  origin: string;
  /** nginx's stub_status, on loopback: what the nginx exporter reads. */
  statusUrl: string;
  /** HAProxy's Prometheus exporter: the queue's depth, its waiting time, its 503s. */
  queueMetricsUrl: string;
  /** nginx's master process; its workers are its children. */
  process: ChildProcess;
  /** HAProxy's process. */
  queue: ChildProcess;
  stop(): Promise<void>;
}

const loopbackPort = async () => `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`;

async function resolveListen(options: FrontTierOptions): Promise<Rendered> {
  return {
    ...options,
    statusListen: options.statusListen ?? (await loopbackPort()),
    queueListen: options.queueListen ?? { api: await loopbackPort(), pages: await loopbackPort(), health: await loopbackPort(), metrics: await loopbackPort() },
    errorsDir: options.errorsDir ?? path.join(options.dir, 'errors'),
  };
}

/** Runs a server in the foreground, its output in a log, until stop() sends it the signal that drains it. */
function run([command, args]: [string, string[]], log: string, drain: NodeJS.Signals) {
  const output = openSync(log, 'a');
  const child = spawn(command, args, { stdio: ['ignore', output, output] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(drain);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop };
}

async function waitFor(url: string, child: ChildProcess, what: string, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(url).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start; its log:\n${readFileSync(log, 'utf8').slice(-2000)}`);
}

const urlOf = (listen: string) => {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at);
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${listen.slice(at + 1)}`;
};

/** Writes the configurations into options.dir and runs HAProxy, then nginx, in the foreground until stop(). */
export async function startFrontTier(options: FrontTierOptions): Promise<FrontTier> {
  mkdirSync(options.dir, { recursive: true });
  const launch = options.launch ?? ((_program, command, args) => [command, args]);
  const rendered = await resolveListen(options);
  writeErrorPages(rendered.errorsDir);
  const haproxyConf = path.join(options.dir, 'haproxy.cfg');
  writeFileSync(haproxyConf, renderQueueConfig(rendered));
  const queueLog = path.join(options.dir, 'haproxy.log');
  // -db: in the foreground; SIGUSR1 is its soft stop (finish what is in flight and queued).
  const queue = run(launch('haproxy', 'haproxy', ['-db', '-f', haproxyConf]), queueLog, 'SIGUSR1');
  try {
    await waitFor(`${urlOf(rendered.queueListen.health)}/healthz`, queue.child, 'HAProxy', queueLog);
  } catch (error) {
    await queue.stop();
    throw error;
  }
  const nginxConf = path.join(options.dir, 'nginx.conf');
  // As root (a container, CI) the workers would drop to nobody, who cannot read a checkout under
  // /root: they run as the rest of the local stack does.
  writeFileSync(nginxConf, renderFrontTierConfig({ user: process.getuid?.() === 0 ? 'root' : undefined, ...rendered }));
  const nginxLog = path.join(options.dir, 'nginx.log');
  // -e: nginx opens its default error log before it reads the configuration; keep that one here too.
  // QUIT: finish the requests in flight, then exit.
  const nginx = run(launch('nginx', 'nginx', ['-c', nginxConf, '-e', path.join(options.dir, 'nginx-start.log')]), nginxLog, 'SIGQUIT');
  // nginx first, then the queue behind it, as a pod stops them (decision 105).
  const stop = async () => {
    await nginx.stop();
    await queue.stop();
  };
  const origin = urlOf(options.listen);
  try {
    await waitFor(`${origin}/_front-tier/healthz`, nginx.child, 'nginx', nginxLog);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    origin,
    statusUrl: `http://${rendered.statusListen}/stub_status`,
    queueMetricsUrl: `${urlOf(rendered.queueListen.metrics)}/metrics`,
    process: nginx.child,
    queue: queue.child,
    stop,
  };
}

const USAGE = `usage: tsx scripts/front-tier.ts render --listen HOST:PORT --status 127.0.0.1:PORT --queue-api 127.0.0.1:PORT --queue-pages 127.0.0.1:PORT --upstream HOST:PORT --dir DIR --static-dir DIR --errors-dir DIR [--access-log FILE] [--user NAME] [--workers N|auto]
       tsx scripts/front-tier.ts render-queue --queue-api 127.0.0.1:PORT --queue-pages 127.0.0.1:PORT --queue-health HOST:PORT --queue-metrics HOST:PORT --upstream HOST:PORT --errors-dir DIR   (FRONT_TIER_QUEUE_TIMEOUT_MS: the deadline)
       tsx scripts/front-tier.ts render-errors --errors-dir DIR`;

function usage(): never {
  console.error(USAGE);
  process.exit(2);
}

const FLAGS = {
  listen: { type: 'string' },
  status: { type: 'string' },
  'queue-api': { type: 'string' },
  'queue-pages': { type: 'string' },
  'queue-health': { type: 'string' },
  'queue-metrics': { type: 'string' },
  upstream: { type: 'string', multiple: true },
  dir: { type: 'string' },
  'static-dir': { type: 'string' },
  'errors-dir': { type: 'string' },
  'access-log': { type: 'string' },
  user: { type: 'string' },
  workers: { type: 'string' },
} as const;

/** The image's configurations, rendered at build time: nginx's and HAProxy's on stdout, the error answers into a folder. */
function renderCommand(command: string, args: string[]): void {
  const { values } = parseArgs({ args, options: FLAGS });
  const { listen, status, upstream, dir, 'static-dir': staticDir, 'errors-dir': errorsDir, workers } = values;
  const queueListen = { api: values['queue-api'] ?? '', pages: values['queue-pages'] ?? '', health: values['queue-health'] ?? '', metrics: values['queue-metrics'] ?? '' };
  if (!errorsDir) usage();
  if (command === 'render-errors') return writeErrorPages(errorsDir);
  if (!upstream?.length || !queueListen.api || !queueListen.pages) usage();
  if (command === 'render-queue') {
    if (!queueListen.health || !queueListen.metrics) usage();
    process.stdout.write(renderQueueConfig({ upstreams: upstream, queueListen, errorsDir, queue: { timeoutMs: queueTimeoutFromEnv() } }));
    return;
  }
  if (!listen || !status || !dir || !staticDir || (workers !== undefined && workers !== 'auto' && !/^[1-9]\d*$/.test(workers))) usage();
  process.stdout.write(renderFrontTierConfig({
    listen,
    statusListen: status,
    queueListen,
    upstreams: upstream,
    dir,
    staticDir,
    errorsDir,
    accessLog: values['access-log'],
    user: values.user,
    workers: workers === undefined || workers === 'auto' ? 'auto' : Number(workers),
  }));
}

const COMMANDS = ['render', 'render-queue', 'render-errors'];
if (require.main === module && COMMANDS.includes(process.argv[2] ?? '')) {
  try {
    renderCommand(process.argv[2]!, process.argv.slice(3));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
