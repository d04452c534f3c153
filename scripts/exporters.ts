import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import type { SystemPackage } from './system-packages';

/**
 * The standard Prometheus exporters, Debian's packages, as the local stack and the tests run them:
 * oliver006's redis_exporter beside each Redis server (and sentinel), NGINX's exporter beside the
 * front tier. Each takes its settings from the same variables as in the pods (k8s/), listens on a
 * loopback port of its own and serves /metrics there.
 */

export const REDIS_EXPORTER: SystemPackage = {
  command: 'prometheus-redis-exporter',
  apt: ['prometheus-redis-exporter'],
  hint: 'Install the Redis exporter: sudo apt-get install -y prometheus-redis-exporter (Debian, Ubuntu).',
};

export const NGINX_EXPORTER: SystemPackage = {
  command: 'prometheus-nginx-exporter',
  apt: ['prometheus-nginx-exporter'],
  hint: 'Install the nginx exporter: sudo apt-get install -y prometheus-nginx-exporter (Debian, Ubuntu).',
};

export interface Exporter {
  /** Where Prometheus scrapes it. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The redis_exporter's settings: one Redis server (or sentinel), and a user that may read its INFO. */
export function redisExporterEnv(options: { address: string; user?: string; password: string; listen: string }): Record<string, string> {
  return {
    REDIS_ADDR: `redis://${options.address}`,
    ...(options.user && { REDIS_USER: options.user }),
    REDIS_PASSWORD: options.password,
    REDIS_EXPORTER_WEB_LISTEN_ADDRESS: options.listen,
    // A server that accepts the connection but does not answer (paused, overloaded) is reported as
    // down (redis_up 0) within a scrape, rather than failing the scrape.
    REDIS_EXPORTER_CONNECTION_TIMEOUT: '3s',
  };
}

/** The nginx exporter's settings: nginx's stub_status, and how long to wait for nginx at its start. */
export function nginxExporterEnv(options: { statusUrl: string; listen: string }): Record<string, string> {
  return { SCRAPE_URI: options.statusUrl, LISTEN_ADDRESS: options.listen, NGINX_RETRIES: '10', NGINX_RETRY_INTERVAL: '1s' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startExporter(command: string, env: Record<string, string>, listen: string, log: string): Promise<Exporter> {
  const output = openSync(log, 'a');
  // Only these variables (Next's types would demand a NODE_ENV): an inherited REDIS_PASSWORD or
  // LISTEN_ADDRESS must not configure it.
  const only: Record<string, string> = { PATH: process.env.PATH ?? '', ...env };
  const child = spawn(command, [], { env: only as NodeJS.ProcessEnv, stdio: ['ignore', output, output] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${listen}/metrics`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(url).then((response) => response.ok, () => false)) return { url, process: child, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`${command} did not serve ${url}; its log:\n${readFileSync(log, 'utf8').slice(-2000)}`);
}

export const startRedisExporter = (options: Parameters<typeof redisExporterEnv>[0] & { log: string }) =>
  startExporter(REDIS_EXPORTER.command, redisExporterEnv(options), options.listen, options.log);

export const startNginxExporter = (options: Parameters<typeof nginxExporterEnv>[0] & { log: string }) =>
  startExporter(NGINX_EXPORTER.command, nginxExporterEnv(options), options.listen, options.log);
