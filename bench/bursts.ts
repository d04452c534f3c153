import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { performance } from 'node:perf_hooks';
import { encodeCursor } from '../lib/guestbook/cursor';
import { queueTimeoutFromEnv, startFrontTier, type FrontTier } from '../scripts/front-tier';
import { withClient, type RedisPair } from '../scripts/redis-server';
import { BEHIND_FRONT_TIER, serverCommand } from '../scripts/stack';
import { STREAM_KEY } from './bare-server';
import { cgroupUnavailable, createMemoryCgroup, type MemoryCgroup } from './cgroup';
import { percentile, runLoad, uniqueEntryBody, type LoadResult } from './load';
import { frontendContainer } from './manifest';
import { markdownTable, fixed } from './report';
import { seedTo } from './seed';
import { serverEnv, startProcess, stopProcess, type ServerProcess } from './servers';

/**
 * `npm run bench:bursts`: one Next.js process behind the whole front tier (nginx, then the admission
 * queue), as in a frontend pod, each in a memory cgroup with its container's limit from k8s/. Bursts
 * that a popular moment brings (reads of distinct URLs, posts, all at once, each on its own
 * connection), a sustained overload and how soon it is over, and what 50 browsers' Accept-Language
 * headers cost in renders. Beside each, what the front tier answered before the queue (issue 15).
 * Nothing here asserts: it prints and returns.
 */

const BEFORE_THE_QUEUE = {
  posts200: '65 × 201, 135 × 503',
  posts500: '65 × 201, 435 × 503 in 0.6 s',
  reads: '246 × 200, 754 × 503 in 1 s',
  overload: '200s and 503s with Retry-After, no resets, fine right after',
};
export const BURST_TARGETS = { p99Ms: 3_000, recoveryMs: 1_000, rendersPerLanguagePerSecond: 1 };

/** Accept-Language as 50 real browsers send it: many spellings of a few languages, most of them neither of ours. */
export const ACCEPT_LANGUAGES = [
  'en-US,en;q=0.9', 'en-GB,en;q=0.9', 'en-GB,en-US;q=0.9,en;q=0.8', 'en', 'en-US', 'en-US,en;q=0.5', 'en-CA,en;q=0.9,fr-CA;q=0.8',
  'en-AU,en;q=0.9', 'en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7,hi;q=0.6', 'zh-CN,zh;q=0.9', 'zh-CN,zh;q=0.9,en;q=0.8',
  'zh-CN,zh;q=0.9,en-US;q=0.8,en;q=0.7', 'zh-CN', 'zh', 'zh-Hans-CN,zh-Hans;q=0.9', 'zh-SG,zh;q=0.9,en;q=0.8',
  'zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7', 'zh-HK,zh;q=0.9,en;q=0.8', 'de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'de-DE,de;q=0.9',
  'de,en-US;q=0.7,en;q=0.3', 'fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'fr-CA,fr;q=0.9,en-CA;q=0.8,en;q=0.7', 'es-ES,es;q=0.9',
  'es-419,es;q=0.9,en;q=0.8', 'es-MX,es;q=0.9,en;q=0.8', 'pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7', 'pt-PT,pt;q=0.9,en;q=0.8',
  'it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7', 'nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7', 'ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7',
  'ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7', 'ja,en-US;q=0.9,en;q=0.8', 'ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7',
  'tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7', 'pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7', 'sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7',
  'da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7', 'fi-FI,fi;q=0.9,en-US;q=0.8,en;q=0.7', 'nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5',
  'cs-CZ,cs;q=0.9,en;q=0.8', 'uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7', 'he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7',
  'ar-SA,ar;q=0.9,en-US;q=0.8,en;q=0.7', 'hi-IN,hi;q=0.9,en-US;q=0.8,en;q=0.7', 'id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7',
  'vi-VN,vi;q=0.9,fr-FR;q=0.8,fr;q=0.7,en-US;q=0.6,en;q=0.5', 'th-TH,th;q=0.9,en;q=0.8', 'en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7', '*',
];

export interface BurstSettings {
  warmupSeconds: number;
  reads: number;
  posts: number[];
  overload: { connections: number; seconds: number };
  languages: { connections: number; seconds: number };
}

interface Answer {
  status: number;
  ms: number;
  retryAfter?: string;
  error?: string;
}

export interface BurstResult {
  label: string;
  before: string;
  count: number;
  statuses: Record<string, number>;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** From the first request sent to the last answer. */
  elapsedMs: number;
}

export interface BurstsResults {
  reads: BurstResult;
  posts: BurstResult[];
  overload: { connections: number; seconds: number; load: LoadResult; sampled: Answer[]; queuedAtEnd: number; recoveryMs: number; afterP99Ms: number };
  languages: { headers: number; seconds: number; clockSeconds: number; requests: number; renders: Record<string, number>; rendersPerSecond: Record<string, number> };
  memory: { container: string; limitBytes: number; peakBytes: number; oomKills: number }[] | string;
  /** Load averages at start and end: what else the two cores ran meanwhile. */
  loadAverage: { start: number[]; end: number[] };
}

type Send = { method?: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };

/** One request on a connection of its own, as a visitor's browser would open it. */
function send(origin: string, { method = 'GET', path: target, body, headers = {} }: Send): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = httpRequest(`${origin}${target}`, { method, agent: false, headers: { ...headers, ...(body && { 'content-type': 'application/json' }) } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, retryAfter: response.headers['retry-after'] }));
    });
    request.setTimeout(30_000, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, error: error.message }));
    request.end(body);
  });
}

async function burst(origin: string, label: string, before: string, requests: Send[]): Promise<BurstResult> {
  const started = performance.now();
  const answers = await Promise.all(requests.map((item) => send(origin, item)));
  const statuses: Record<string, number> = {};
  for (const { status } of answers) if (status) statuses[status] = (statuses[status] ?? 0) + 1;
  const times = answers.map((answer) => answer.ms);
  return {
    label,
    before,
    count: requests.length,
    statuses,
    errors: answers.filter((answer) => answer.error).length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    elapsedMs: performance.now() - started,
  };
}

async function newestIds(redis: RedisPair, count: number): Promise<string[]> {
  return withClient(redis.master.url, async (master) => (await master.xrevrange(STREAM_KEY, '+', '-', 'COUNT', count)).map(([id]) => id));
}

/** Uncached pages, one request on a fresh connection each, until one is served: how long the overload lasts after its end. */
async function recovery(origin: string): Promise<{ recoveryMs: number; afterP99Ms: number }> {
  const ended = performance.now();
  let first: Answer | undefined;
  while (performance.now() - ended < 30_000) {
    first = await send(origin, { path: `/?posted=recovery-${Date.now()}` });
    if (first.status === 200) break;
  }
  const recoveryMs = performance.now() - ended;
  const after: number[] = [];
  for (let i = 0; i < 20; i++) after.push((await send(origin, { path: `/?posted=after-${i}` })).ms);
  return { recoveryMs, afterP99Ms: percentile(after, 99) };
}

/** Requests waiting in the admission queue, from HAProxy's own figures. */
async function queueDepth(front: FrontTier): Promise<number> {
  const text = await (await fetch(front.queueMetricsUrl)).text();
  return Number(/^haproxy_backend_current_queue\{proxy="next"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** 1,500 connections on pages that cannot be cached, while a probe notes what single visitors get. */
async function overload(front: FrontTier, app: ServerProcess, settings: BurstSettings['overload']) {
  const sampled: Answer[] = [];
  let running = true;
  const probe = (async () => {
    while (running) {
      sampled.push(await send(front.origin, { path: `/?posted=probe-${Date.now()}` }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const load = await runLoad(
    { origins: [front.origin], pids: [app.pid] },
    [{ path: '/?posted=overload' }],
    { seconds: settings.seconds, warmupSeconds: 0, connections: settings.connections },
  );
  running = false;
  const queuedAtEnd = await queueDepth(front);
  const after = await recovery(front.origin);
  await probe;
  return { ...settings, load, sampled, queuedAtEnd, ...after };
}

async function pageRenders(app: ServerProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${app.origin}/api/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^guestbook_page_renders_total\{language="([^"]+)"\} (\d+)/gm)].map((match) => [match[1]!, Number(match[2])]));
}

/**
 * Renders per language per clock second: a cached page is fresh until its second ends
 * (lib/http/caching.ts), so one render a second a language is the floor, and a run that touches
 * eleven clock seconds needs eleven.
 */
async function languages(front: FrontTier, app: ServerProcess, settings: BurstSettings['languages']) {
  const before = await pageRenders(app);
  const requests = ACCEPT_LANGUAGES.map((value) => ({ path: '/', headers: { 'accept-language': value, 'accept-encoding': 'gzip' } }));
  const started = Date.now();
  const load = await runLoad({ origins: [front.origin], pids: [app.pid] }, requests, { seconds: settings.seconds, warmupSeconds: 0, connections: settings.connections });
  const clockSeconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
  const after = await pageRenders(app);
  const renders = Object.fromEntries(Object.entries(after).map(([language, count]) => [language, count - (before[language] ?? 0)]));
  const rendersPerSecond = Object.fromEntries(Object.entries(renders).map(([language, count]) => [language, count / clockSeconds]));
  return { headers: ACCEPT_LANGUAGES.length, seconds: settings.seconds, clockSeconds, requests: load.requests, renders, rendersPerSecond };
}

interface Pod {
  front: FrontTier;
  app: ServerProcess;
  cgroups: { container: string; cgroup: MemoryCgroup }[];
  stop(): Promise<void>;
}

/** A frontend pod's processes on loopback, each in a cgroup with its container's memory limit when it can have one. */
async function startPod(redis: RedisPair, dir: string): Promise<Pod> {
  const canLimit = !cgroupUnavailable();
  const cgroups = canLimit
    ? (['frontend', 'front-tier', 'queue'] as const).map((container) => ({
        container,
        cgroup: createMemoryCgroup(`guestbook-bursts-${process.pid}-${container}`, frontendContainer(container).memoryLimitBytes),
      }))
    : [];
  const enter = (container: string, [command, args]: [string, string[]]): [string, string[]] => {
    const found = cgroups.find((entry) => entry.container === container);
    return found ? ['sh', ['-c', `${found.cgroup.enterCommand} "$0" "$@"`, command, ...args]] : [command, args];
  };
  const { env } = frontendContainer();
  const appEnv = { ...serverEnv(redis), ...BEHIND_FRONT_TIER, NODE_OPTIONS: env.NODE_OPTIONS ?? '' };
  const app = await startProcess('bursts-app', enter('frontend', serverCommand('start', '')), appEnv, '/api/readyz', dir);
  const front = await startFrontTier({
    listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
    upstreams: [new URL(app.origin).host],
    dir: path.join(dir, 'bursts-front-tier'),
    staticDir: path.resolve(__dirname, '..', '.next', 'static'),
    workers: 2,
    // As npm start reads it: the deadline of the benchmark's queue can be tried like any other.
    queue: { timeoutMs: queueTimeoutFromEnv() },
    launch: (program, command, args) => enter(program === 'nginx' ? 'front-tier' : 'queue', [command, args]),
  });
  return {
    front,
    app,
    cgroups,
    stop: async () => {
      await front.stop();
      await stopProcess(app);
      for (const { cgroup } of cgroups) cgroup.remove();
    },
  };
}

function sampleMemory(pod: Pod) {
  const peaks = new Map<string, number>();
  const sample = () => {
    for (const { container, cgroup } of pod.cgroups) peaks.set(container, Math.max(peaks.get(container) ?? 0, cgroup.read().workingSetBytes));
  };
  const timer = setInterval(sample, 200);
  return () => {
    clearInterval(timer);
    sample();
    return pod.cgroups.map(({ container, cgroup }) => ({ container, limitBytes: cgroup.limitBytes, peakBytes: peaks.get(container) ?? 0, oomKills: cgroup.read().oomKills }));
  };
}

/**
 * Warms the process's code paths as a running pod would have them: a cold one compiles for its first
 * ten or twenty seconds (bench/run.ts), at a third of its later speed. Straight to Next.js, so that
 * nothing is answered from the cache, then a little through the front tier.
 */
async function warmUp(pod: Pod, ids: string[], seconds: number): Promise<void> {
  const requests = [
    { path: `/api/guestbook/${ids[0]}` },
    { path: `/api/guestbook?cursor=${encodeCursor(ids[1]!, 0)}` },
    { path: '/?posted=warm' },
    { method: 'POST' as const, path: '/api/guestbook', body: uniqueEntryBody },
  ];
  await runLoad({ origins: [pod.app.origin], pids: [pod.app.pid] }, requests, { seconds, warmupSeconds: 0, connections: 20 });
  await runLoad({ origins: [pod.front.origin], pids: [pod.app.pid] }, requests, { seconds: 2, warmupSeconds: 0, connections: 20 });
}

export async function measureBursts(redis: RedisPair, dir: string, settings: BurstSettings, log: (line: string) => void): Promise<BurstsResults> {
  await seedTo({ masterUrl: redis.master.url, replicaUrl: redis.replica.url }, 1_000);
  const ids = await newestIds(redis, 1_000);
  const loadAtStart = os.loadavg();
  const pod = await startPod(redis, dir);
  const stopSampling = sampleMemory(pod);
  try {
    log(`bursts: warming up for ${settings.warmupSeconds} s…`);
    await warmUp(pod, ids, settings.warmupSeconds);
    const origin = pod.front.origin;
    log(`bursts: ${settings.reads} reads of distinct URLs at once…`);
    const byId = Math.round(settings.reads * 0.6);
    const reads = await burst(origin, `${settings.reads} reads at once, distinct URLs (${byId} entries by id, ${settings.reads - byId} list pages)`, BEFORE_THE_QUEUE.reads, [
      ...ids.slice(0, byId).map((id) => ({ path: `/api/guestbook/${id}` })),
      ...ids.slice(byId, settings.reads).map((id) => ({ path: `/api/guestbook?cursor=${encodeCursor(id, 0)}` })),
    ]);
    const posts: BurstResult[] = [];
    for (const count of settings.posts) {
      log(`bursts: ${count} posts at once…`);
      const before = count === 200 ? BEFORE_THE_QUEUE.posts200 : count === 500 ? BEFORE_THE_QUEUE.posts500 : '';
      posts.push(await burst(origin, `${count} posts at once`, before, Array.from({ length: count }, () => ({ method: 'POST' as const, path: '/api/guestbook', body: uniqueEntryBody() }))));
    }
    log(`bursts: ${ACCEPT_LANGUAGES.length} Accept-Language headers at ${settings.languages.connections} connections for ${settings.languages.seconds} s…`);
    const languageResult = await languages(pod.front, pod.app, settings.languages);
    log(`bursts: overload, ${settings.overload.connections} connections for ${settings.overload.seconds} s on pages that cannot be cached…`);
    const overloadResult = await overload(pod.front, pod.app, settings.overload);
    return {
      reads,
      posts,
      overload: overloadResult,
      languages: languageResult,
      memory: pod.cgroups.length ? stopSampling() : `not measured: ${cgroupUnavailable()}`,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
    };
  } finally {
    stopSampling();
    await pod.stop();
  }
}

const statusList = (statuses: Record<string, number>, errors: number) =>
  [...Object.entries(statuses).map(([status, count]) => `${count} × ${status}`), ...(errors ? [`${errors} errors`] : [])].join(', ');
const allOk = (result: BurstResult) => result.errors === 0 && Object.keys(result.statuses).every((status) => status.startsWith('2'));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const mib = (bytes: number) => fixed(bytes / 2 ** 20);

export function burstsSummary(results: BurstsResults): string {
  const bursts = [results.reads, ...results.posts];
  const { load, sampled, recoveryMs, afterP99Ms } = results.overload;
  const shed = sampled.filter((answer) => answer.status === 503);
  const overloadStatuses = Object.keys(load.statuses).filter((status) => status !== '200' && status !== '503');
  const renders = Object.entries(results.languages.rendersPerSecond);
  const memory = typeof results.memory === 'string' ? [results.memory] : results.memory.map((entry) => `${entry.container} ${mib(entry.peakBytes)} of ${mib(entry.limitBytes)} MiB${entry.oomKills ? ` (${entry.oomKills} OOM kills)` : ''}`);
  const withinLimits = typeof results.memory !== 'string' && results.memory.every((entry) => entry.peakBytes < entry.limitBytes && entry.oomKills === 0);
  return [
    `Bursts: one Next.js process behind nginx and the admission queue (deadline ${queueTimeoutFromEnv()} ms), as in a frontend pod`,
    `load average ${results.loadAverage.start.map((n) => n.toFixed(2)).join(' ')} at start, ${results.loadAverage.end.map((n) => n.toFixed(2)).join(' ')} at end`,
    '',
    markdownTable(
      ['', 'answers now', 'p50 ms', 'p99 ms', 'all answered in', 'before the queue'],
      [
        ...bursts.map((result) => [result.label, statusList(result.statuses, result.errors), fixed(result.p50Ms), fixed(result.p99Ms), `${fixed(result.elapsedMs / 1000, 2)} s`, result.before]),
        [
          `overload: ${results.overload.connections} connections for ${results.overload.seconds} s, uncacheable pages (${fixed(load.rps)} req/s)`,
          statusList(load.statuses, load.errors),
          fixed(load.p50Ms),
          fixed(load.p99Ms),
          `next page served ${fixed(recoveryMs)} ms after`,
          BEFORE_THE_QUEUE.overload,
        ],
      ],
    ),
    '',
    `pages rendered per language per clock second, ${results.languages.headers} Accept-Language headers at 50 connections: ` +
      `${renders.map(([language, rate]) => `${language} ${fixed(rate, 2)} (${results.languages.renders[language]} renders)`).join(', ')}; ` +
      `${results.languages.requests} requests in ${results.languages.seconds} s, ${results.languages.clockSeconds} clock seconds`,
    `memory, peak working set of each container: ${memory.join('; ')}`,
    '',
    ...bursts.map((result) => `${verdict(allOk(result) && result.p99Ms < BURST_TARGETS.p99Ms)} ${result.label}: all 2xx, p99 < ${BURST_TARGETS.p99Ms / 1000} s: ${statusList(result.statuses, result.errors)}, p99 ${fixed(result.p99Ms)} ms`),
    `${verdict(load.errors === 0 && overloadStatuses.length === 0 && shed.every((answer) => answer.retryAfter === '1'))} overload: only 200 and 503 with Retry-After, no resets or timeouts: ${statusList(load.statuses, load.errors)}; ${shed.length} of ${sampled.length} probes shed, ${shed.filter((answer) => answer.retryAfter !== '1').length} of them without Retry-After`,
    `${verdict(recoveryMs < BURST_TARGETS.recoveryMs)} served normally within 1 s after the overload: the first page ${fixed(recoveryMs)} ms after (${results.overload.queuedAtEnd} waiting in the queue as it ended), the next 20 at p99 ${fixed(afterP99Ms)} ms`,
    `${verdict(renders.every(([, rate]) => rate <= BURST_TARGETS.rendersPerLanguagePerSecond))} at most ${BURST_TARGETS.rendersPerLanguagePerSecond} render per language per second`,
    `${verdict(withinLimits)} every container inside its memory limit`,
  ].join('\n');
}
