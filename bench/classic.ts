import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, cpSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import getPort from 'get-port';
import { waitForReplicaCatchUp, withClient } from '../scripts/redis-server';
import { APACHE_PHP, ensureSystemPackages } from '../scripts/system-packages';
import { childPids, cpuSecondsWithChildren } from './proc';

/**
 * The classic guestbook's frontend (bench/classic/), as its image ran it: Apache prefork with mod_php
 * and Predis, on a configuration of its own in `dir` that takes nothing from /etc/apache2 but what
 * Debian ships as its defaults, listening on a free loopback port.
 */

export interface RedisAddress {
  host: string;
  port: number;
}

export interface ClassicOptions {
  /** Where the configuration, the logs and the pid file go; made readable by Apache's user. */
  dir: string;
  master: RedisAddress;
  replica: RedisAddress;
  /** The administrator's: the classic key is outside what the app's Redis user may touch. */
  password: string;
}

export interface ClassicServer {
  origin: string;
  /** The Apache parent and its workers now: prefork starts and ends workers as the load changes. */
  pids(): number[];
  /**
   * CPU seconds of the parent and of every worker it has had: summing pids() at the start and at the
   * end of a measurement would miss the workers that ended in between, which prefork ends even under load.
   */
  cpuSeconds(): number;
  /** Ends the parent and every worker; safe to call again. */
  stop(): Promise<void>;
}

export type ClassicAvailability = { available: true } | { available: false; reason: string };

/** The one key where the classic keeps every message, joined by commas. */
export const CLASSIC_KEY = 'messages';

export const CLASSIC_READ_PATH = `/guestbook.php?cmd=get&key=${CLASSIC_KEY}`;

const DOCUMENT_ROOT = path.join(__dirname, 'classic');
const MODULES = '/usr/lib/apache2/modules';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** The addresses and the password in the administrator's URLs of a Redis pair, as startClassic takes them. */
export function classicRedis(masterUrl: string, replicaUrl: string): Omit<ClassicOptions, 'dir'> {
  const address = (url: URL) => ({ host: url.hostname, port: Number(url.port) });
  const master = new URL(masterUrl);
  return { master: address(master), replica: address(new URL(replicaUrl)), password: decodeURIComponent(master.password) };
}

/** Installs Apache, mod_php and Predis where that is safe (as root, with apt); otherwise says what is missing. */
export function classicAvailability(log: (line: string) => void = console.log): ClassicAvailability {
  try {
    ensureSystemPackages([APACHE_PHP], log);
    return { available: true };
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

// authz_core although nothing is restricted: without it Apache 2.4 refuses every request (AH00025).
const MODULE_FILES = {
  mpm_prefork_module: 'mod_mpm_prefork.so',
  authz_core_module: 'mod_authz_core.so',
  mime_module: 'mod_mime.so',
  dir_module: 'mod_dir.so',
  env_module: 'mod_env.so',
  php_module: 'libphp8.2.so',
};

// Kubernetes's names for the services, as the classic read them; PassEnv hands them to PHP.
const PASSED_ENV = ['REDIS_MASTER_SERVICE_HOST', 'REDIS_MASTER_SERVICE_PORT', 'REDIS_SLAVE_SERVICE_HOST', 'REDIS_SLAVE_SERVICE_PORT', 'REDIS_PASSWORD'];

function apacheConfig(dir: string, port: number): string {
  return [
    `ServerRoot ${dir}`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${port}`,
    `PidFile ${dir}/apache2.pid`,
    `DefaultRuntimeDir ${dir}/run`,
    `Mutex file:${dir}/lock default`,
    `ErrorLog ${dir}/error.log`,
    'LogLevel warn',
    // Debian's own user for Apache; without root Apache keeps the user it was started as.
    'User www-data',
    'Group www-data',
    ...Object.entries(MODULE_FILES).map(([name, file]) => `LoadModule ${name} ${MODULES}/${file}`),
    // As Debian ships them (apache2.conf, mods-available/mpm_prefork.conf) but for one, so that the
    // classic is not tuned beyond what its image had.
    'Timeout 300',
    'KeepAlive On',
    // Debian's 100 ends a connection every 100 requests, and autocannon 8, when it reconnects, keeps a
    // stale request in its queue: every later latency on that connection is then measured from an
    // earlier request (seen: a mean of 58 ms at 2,500 req/s over 50 connections, where Little's law
    // allows 20). Unlimited spares the classic one connect in 100 requests, nothing more.
    'MaxKeepAliveRequests 0',
    'KeepAliveTimeout 5',
    'HostnameLookups Off',
    'StartServers 5',
    'MinSpareServers 5',
    'MaxSpareServers 10',
    'MaxRequestWorkers 150',
    'MaxConnectionsPerChild 0',
    'TypesConfig /etc/mime.types',
    'DirectoryIndex index.html',
    `DocumentRoot ${dir}/htdocs`,
    // No .htaccess lookups up the tree, whose folders Apache's user may not be able to enter.
    '<Directory />',
    '  AllowOverride None',
    '</Directory>',
    '<FilesMatch "\\.php$">',
    '  SetHandler application/x-httpd-php',
    '</FilesMatch>',
    `PassEnv ${PASSED_ENV.join(' ')}`,
    // Debian's default site logs every request, as the classic image did to its stdout, and as our app does.
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
    `CustomLog ${dir}/access.log combined`,
    '',
  ].join('\n');
}

function writeConfig(dir: string, port: number): string {
  for (const sub of ['run', 'lock']) mkdirSync(path.join(dir, sub), { recursive: true });
  // Apache opens its logs as root, but its workers run as www-data and look into the run folder.
  chmodSync(dir, 0o755);
  // A copy that Apache's user can read wherever the checkout is (a clone under a 0700 folder, /root).
  cpSync(DOCUMENT_ROOT, path.join(dir, 'htdocs'), { recursive: true });
  const file = path.join(dir, 'apache2.conf');
  writeFileSync(file, apacheConfig(dir, port));
  return file;
}

// Only what Apache needs (Debian's envvars sets LANG=C too): PassEnv could hand anything else on to PHP.
function apacheEnv({ master, replica, password }: ClassicOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    REDIS_MASTER_SERVICE_HOST: master.host,
    REDIS_MASTER_SERVICE_PORT: String(master.port),
    REDIS_SLAVE_SERVICE_HOST: replica.host,
    REDIS_SLAVE_SERVICE_PORT: String(replica.port),
    REDIS_PASSWORD: password,
  };
}

// setpriv --pdeathsig: the kernel sends Apache SIGTERM when this process dies, however it dies (even
// SIGKILL, when no exit handler runs); Apache then ends its workers itself.
function spawnApache(options: ClassicOptions, config: string): ChildProcess {
  // Apache's complaints before it opens its ErrorLog (a wrong directive) land in the same file.
  const output = openSync(path.join(options.dir, 'error.log'), 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', '--', 'apache2', '-DFOREGROUND', '-f', config], {
    // Next.js's types require NODE_ENV in every environment, also that of a process that is not Node.
    env: apacheEnv(options) as NodeJS.ProcessEnv,
    stdio: ['ignore', output, output],
    // A group of its own: on SIGTERM Apache signals its whole process group, which would otherwise
    // be ours (this process, tsx, npm, Redis...).
    detached: true,
  });
  closeSync(output);
  // Without a pid it never ran (no setpriv): waitUntilReady reports it.
  child.on('error', () => {});
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// PHP with display_errors answers 200 to a fatal error too: only the classic's JSON means ready.
async function answersJson(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    return response.status === 200 && (await response.text()).startsWith('{"data": "');
  } catch {
    return false;
  }
}

async function waitUntilReady(child: ChildProcess, origin: string, dir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null && child.pid !== undefined) {
    if (await answersJson(origin + CLASSIC_READ_PATH)) return;
    await sleep(200);
  }
  const log = readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-2000);
  throw new Error(`the classic frontend did not answer ${origin}${CLASSIC_READ_PATH} with its JSON; its error log:\n${log}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM: the parent ends its workers and waits for them, killing those that linger; if the
      // parent itself hangs, its group (it and the workers) is killed.
      child.kill('SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })());
}

/** Starts Apache in the foreground as a child of this process; resolves once guestbook.php reads the replica. */
export async function startClassic(options: ClassicOptions): Promise<ClassicServer> {
  const port = await getPort({ host: '127.0.0.1' });
  const child = spawnApache(options, writeConfig(options.dir, port));
  const origin = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitUntilReady(child, origin, options.dir);
  } catch (error) {
    await stop();
    throw error;
  }
  const parent = child.pid!;
  return { origin, pids: () => [parent, ...childPids(parent)], cpuSeconds: () => cpuSecondsWithChildren(parent), stop };
}

/** The n-th entry (from 1): no comma, which the classic would take for the start of another entry. */
export const classicEntry = (n: number) => `Guest ${n % 97}: Hello guestbook! Entry number ${n}.`;

/**
 * Stores `entries` messages as the classic does, in one string on the master, and waits for the
 * replica that guestbook.php reads. Returns the string.
 */
export async function seedClassic(masterUrl: string, replicaUrl: string, entries: number): Promise<string> {
  const value = Array.from({ length: entries }, (_, i) => classicEntry(i + 1)).join(',');
  await withClient(masterUrl, (master) => master.set(CLASSIC_KEY, value));
  await waitForReplicaCatchUp(masterUrl, replicaUrl);
  return value;
}
