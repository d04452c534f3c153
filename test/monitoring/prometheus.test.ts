import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROWS } from '@/monitoring/dashboard';
import { JOBS, PROMETHEUS, prometheusConfig, RULES_FILE, type Job, type Target } from '@/monitoring/prometheus';
import { NGINX_EXPORTER, REDIS_EXPORTER, startRedisExporter, type Exporter } from '@/scripts/exporters';
import { HAPROXY, NGINX } from '@/scripts/front-tier';
import { startSentinel, withClient, type Credentials, type Sentinel } from '@/scripts/redis-server';
import { buildIfNeeded } from '@/scripts/stack';
import { ensureSystemPackages, REDIS } from '@/scripts/system-packages';
import { selectors } from './promql';

/**
 * The rules and the dashboard against a real Prometheus (Debian's) scraping the local stack as
 * `npm start` runs it — the app behind its front tier, the Redis master and replica, an exporter
 * beside each — plus three sentinels watching that master, each with its exporter. Every target is
 * up; every rule and every panel's query runs without error and with data, and every series that
 * they select exists; then real faults (the replica killed, two sentinels stopped, the master
 * stopped) bring their alerts.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECOND = 1_000;
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-monitoring-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface Process {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function run(name: string, command: string, args: string[], env: Record<string, string> = {}): Process {
  const log = path.join(dir, `${name}.log`);
  const output = openSync(log, 'a');
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', output, output] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => readFileSync(log, 'utf8'), exited };
}

async function stop(process: Process | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!process || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill(signal);
  const timer = setTimeout(() => process.child.kill('SIGKILL'), 20 * SECOND);
  await process.exited;
  clearTimeout(timer);
}

/** The targets of a Prometheus configuration that prometheusConfig wrote. */
function targetsOf(config: string): Target[] {
  const { scrape_configs: jobs } = parse(config) as {
    scrape_configs: { job_name: Job; metrics_path: string; static_configs: { targets: string[]; labels?: Record<string, string> }[] }[];
  };
  return jobs.flatMap((job) =>
    job.static_configs.flatMap((group) =>
      group.targets.map((target) => ({ job: job.job_name, name: target, url: `http://${target}${job.metrics_path}`, labels: group.labels })),
    ),
  );
}

let stack: Process;
let prometheus: Process;
let origin: string;
let api: string;
const sentinels: Sentinel[] = [];
const exporters: Exporter[] = [];
let credentials: Required<Credentials>;
let redisPorts: { master: number; replica: number };
let targets: Target[];

interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(expr: string): Promise<QueryResult> {
  const response = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await response.json()) as QueryResult;
}

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function alerts(): Promise<Alert[]> {
  return ((await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;
}

const waitForAlert = (name: string, labels: Record<string, string> = {}) =>
  waitFor(`the alert ${name} ${JSON.stringify(labels)}`, 60 * SECOND, async () =>
    (await alerts()).find((alert) => alert.labels.alertname === name && Object.entries(labels).every(([key, value]) => alert.labels[key] === value)),
  );

/** A Redis server's process id, from its own INFO, as its administrator. */
const redisPid = (port: number) =>
  withClient(`redis://:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`, async (client) => Number(/^process_id:(\d+)/m.exec(await client.info('server'))![1]));

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin}/api/guestbook`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** What a panel's query becomes in Grafana: every namespace, and a rate window that fits a 1 s scrape. */
const asGrafanaRuns = (expr: string) => expr.replaceAll('$namespace', '.*').replaceAll('$__rate_interval', '15s');

beforeAll(async () => {
  ensureSystemPackages([REDIS, NGINX, HAPROXY, REDIS_EXPORTER, NGINX_EXPORTER, PROMETHEUS]);
  buildIfNeeded();

  // npm start, as a person runs it, in a data folder of its own; a low write limit, so that posts are
  // shed, and the admission queue's shortest deadline, so that a burst of pages is too.
  const port = await getPort({ host: '127.0.0.1' });
  origin = `http://127.0.0.1:${port}`;
  stack = run('stack', process.execPath, ['--import', 'tsx', 'scripts/stack.ts', 'start'], {
    PORT: String(port),
    GUESTBOOK_HOST: '127.0.0.1',
    GUESTBOOK_DATA_DIR: path.join(dir, 'data'),
    RATE_LIMIT_WRITES_PER_MINUTE: '3',
    FRONT_TIER_QUEUE_TIMEOUT_MS: '100',
  });
  await waitFor('npm start to serve', 120 * SECOND, async () => {
    if (stack.child.exitCode !== null) throw new Error(`the stack exited:\n${stack.output().slice(-3000)}`);
    return stack.output().includes(`[stack] serving http://localhost:${port}`);
  });
  const [, master, replica] = /\[stack\] redis master on 127\.0\.0\.1:(\d+), replica on 127\.0\.0\.1:(\d+)/.exec(stack.output())!;
  redisPorts = { master: Number(master), replica: Number(replica) };
  credentials = JSON.parse(readFileSync(path.join(dir, 'data', 'redis', 'credentials.json'), 'utf8')) as Required<Credentials>;
  const stackTargets = targetsOf(readFileSync(path.join(dir, 'data', 'prometheus', 'prometheus.yml'), 'utf8'));

  // Three sentinels on that master (quorum 2), each with its exporter, as the Sentinel overlay's pods.
  const sentinelPassword = 'monitoring-sentinel';
  for (const index of [1, 2, 3]) {
    const sentinelDir = path.join(dir, `sentinel-${index}`);
    const sentinel = await startSentinel({
      dir: sentinelDir,
      master: { port: redisPorts.master },
      name: 'guestbook',
      password: credentials.password,
      sentinelPassword,
      quorum: 2,
    });
    sentinels.push(sentinel);
    const listen = `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`;
    exporters.push(await startRedisExporter({ address: `127.0.0.1:${sentinel.port}`, password: sentinelPassword, listen, log: path.join(sentinelDir, 'exporter.log') }));
  }
  targets = [
    ...stackTargets,
    ...exporters.map((exporter, index): Target => ({ job: JOBS.sentinel, name: `sentinel ${index + 1}`, url: exporter.url, labels: { component: 'sentinel' } })),
  ];

  // Prometheus on all of them, with the rules, scraping and evaluating every second.
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(targets, { interval: '1s', ruleFiles: [RULES_FILE] }));
  mkdirSync(path.join(dir, 'tsdb'));
  const prometheusPort = await getPort({ host: '127.0.0.1' });
  api = `http://127.0.0.1:${prometheusPort}`;
  prometheus = run('prometheus', 'prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`]);
  await waitFor('Prometheus to be ready', 60 * SECOND, async () => {
    if (prometheus.child.exitCode !== null) throw new Error(`prometheus exited:\n${prometheus.output().slice(-3000)}`);
    return (await fetch(`${api}/-/ready`)).ok;
  });
});

afterAll(async () => {
  await stop(prometheus);
  await Promise.all(exporters.map((exporter) => exporter.stop()));
  await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
  // Ctrl-C: the stack stops the front tier, the app, its exporters and Redis in order.
  await stop(stack, 'SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus on the local stack', () => {
  it('is given a metrics port for each tier by npm start, each named in its output', () => {
    expect(new Set(targets.map((target) => target.job))).toEqual(new Set(Object.values(JOBS)));
    expect(targets.filter((target) => target.job === JOBS.redis).map((target) => target.labels?.component).sort()).toEqual(['master', 'replica']);
    for (const target of targets.filter((candidate) => candidate.job !== JOBS.sentinel)) expect(stack.output()).toContain(target.url);
  });

  it('scrapes every target, up', async () => {
    const health = await waitFor('every target to be up', 30 * SECOND, async () => {
      const { data } = (await (await fetch(`${api}/api/v1/targets`)).json()) as { data: { activeTargets: { scrapeUrl: string; health: string }[] } };
      return data.activeTargets.length === targets.length && data.activeTargets.every((target) => target.health === 'up') && data.activeTargets;
    });
    expect(health.map((target) => target.scrapeUrl).sort()).toEqual(targets.map((target) => target.url).sort());
  });

  it('runs every rule and every panel of the dashboard without error and with data, on series that exist', async () => {
    // Traffic through the front tier: an entry posted twice with the same key, more entries (the
    // last two over the limit of 3 a minute, so shed), reads of the list, of an entry and of the
    // page, a live stream.
    const key = { 'Idempotency-Key': 'c1a3e1de-7d6a-4f4e-9d63-0d5c7b1f2a10' };
    const entry = (await (await post({ name: 'Monitor', message: 'once' }, key)).json()) as { id: string };
    expect((await post({ name: 'Monitor', message: 'once' }, key)).headers.get('idempotent-replayed')).toBe('true');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post({ name: 'Monitor', message: `entry ${i}` })).status);
    expect(statuses).toEqual([201, 429, 429]);
    for (const page of ['/api/guestbook', `/api/guestbook/${entry.id}`, '/']) expect((await fetch(origin + page)).status).toBe(200);
    const stream = await fetch(`${origin}/api/guestbook/events`);
    expect(stream.status).toBe(200);

    const rules = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] }).groups.flatMap((group) => group.rules);
    const panels = ROWS.flatMap((row) => row.panels.flatMap((panel) => panel.queries.map((entry) => ({ name: `${row.title} / ${panel.title}`, expr: asGrafanaRuns(entry.expr) }))));
    // An alert's expression is empty while all is well: its selectors must have data. A recording
    // rule and a panel must have data themselves.
    const checks = [
      ...rules.map((rule) => ({ name: rule.record ?? rule.alert!, expr: rule.expr, whole: rule.record !== undefined })),
      ...panels.map((panel) => ({ ...panel, whole: true })),
    ];
    // The rates and the recording rules need a few scrapes and evaluations first.
    const deadline = Date.now() + 60 * SECOND;
    let missing: string[];
    do {
      missing = [];
      for (const check of checks) {
        for (const expr of [...(check.whole ? [check.expr] : []), ...selectors(check.expr)]) {
          const result = await query(expr);
          expect(result, `${check.name}: ${expr}`).toMatchObject({ status: 'success' });
          if (result.data!.result.length === 0) missing.push(`${check.name}: ${expr}`);
        }
      }
    } while (missing.length > 0 && Date.now() < deadline && (await sleep(SECOND), true));
    expect(missing, 'queries without data').toEqual([]);
    const live = await query(`sum(guestbook_live_streams{job="${JOBS.app}"})`);
    expect(live.data!.result[0]!.value[1]).toBe('1');
    await stream.body?.cancel();
  });

  it('raises no alert while all is well', async () => {
    expect(await waitFor('every alert to be quiet', 30 * SECOND, async () => (await alerts()).length === 0 && [])).toEqual([]);
  });

  it('sees the front tier shedding: a burst of pages that cannot wait within the deadline gets 503s from the queue', async () => {
    const pages = await Promise.all(Array.from({ length: 300 }, (_, i) => fetch(`${origin}/?posted=shed-${i}`)));
    const shed = pages.filter((page) => page.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    for (const page of shed) expect(page.headers.get('retry-after')).toBe('1');
    await Promise.all(pages.map((page) => page.body?.cancel()));
    expect(await waitForAlert('GuestbookFrontTierShedding')).toMatchObject({ state: 'pending' });
    const queued = await query(`max(haproxy_backend_max_queue{job="${JOBS.queue}", proxy="next"})`);
    expect(Number(queued.data!.result[0]!.value[1])).toBeGreaterThan(0);
  });

  it('sees a killed replica: its exporter reports it down, and the app reads from the master', async () => {
    process.kill(await redisPid(redisPorts.replica), 'SIGKILL');
    expect(await waitForAlert('GuestbookRedisDown', { component: 'replica' })).toMatchObject({ state: 'pending' });
    await waitForAlert('GuestbookReadsOffReplica');
    expect((await fetch(`${origin}/api/guestbook`)).status).toBe(200);
  });

  it('sees two of three sentinels stopped: no quorum for a failover', async () => {
    await Promise.all(sentinels.slice(1).map((sentinel) => sentinel.stop()));
    expect(await waitForAlert('GuestbookSentinelNoQuorum')).toMatchObject({ state: 'pending' });
  });

  it('sees the master stopped: no master answers, and posts fail', async () => {
    process.kill(await redisPid(redisPorts.master), 'SIGTERM');
    expect(await waitForAlert('GuestbookRedisMasterUnreachable')).toMatchObject({ state: 'pending' });
    expect((await post({ name: 'Monitor', message: 'no master' })).status).toBe(503);
  });
});
