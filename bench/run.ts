import os from 'node:os';
import { gzipSync } from 'node:zlib';
import { encodeCursor } from '../lib/guestbook/cursor';
import { buildIfNeeded, STANDALONE } from '../scripts/stack';
import { ensureSystemPackages, REDIS } from '../scripts/system-packages';
import { CONNECTIONS, runLoad, sequentialLatency, uniqueEntryBody, type LatencyResult, type LoadRequest } from './load';
import { summary, save, type Results, type Row } from './report';
import { seedTo, trimTo, type Seeded } from './seed';
import { startRedis, startStack, stopAll, type Stack } from './servers';
import { measureSse } from './sse';
import { burstsSummary, measureBursts, type BurstSettings } from './bursts';
import { measureMemory, type MemorySettings } from './memory';
import { memorySummary } from './memory-report';
import { cpuSeconds, cpuSecondsWithChildren, sampleRss, totalRssMb } from './proc';
import { measureTracing, tracingSummary } from './tracing';
import { measureVersusClassic, versusSummary } from './versus-classic';

/**
 * `npm run bench`: builds the app if needed, measures its memory under load inside the pod's limit
 * (bench/memory.ts), then starts Redis, two app processes and two bare floor processes on loopback
 * and measures their speed one after another, then the app with tracing off and on (bench/tracing.ts).
 * Prints tables with PASS/FAIL lines for the targets and writes everything to
 * bench/results/<time>.json. Nothing here asserts. `npm run bench:memory` (`bench/run.ts memory`)
 * measures the memory only, `npm run bench:tracing` (`bench/run.ts tracing`) tracing's cost only.
 *
 * BENCH_QUICK=1 shortens everything for a smoke run; BENCH_DURATION_SECONDS (per measurement),
 * BENCH_SOAK_SECONDS and BENCH_MEMORY_ROUND_SECONDS set the durations, BENCH_TRACING_ROUNDS the
 * tracing rows' rounds. `npm run bench:bursts` (`bench/run.ts bursts`) measures the bursts only
 * (bench/bursts.ts): one Next.js process behind the whole front tier, as in a pod.
 */

const log = (line: string) => console.log(`[bench] ${line}`);

const SMALL_ENTRIES = 100;

interface Settings {
  quick: boolean;
  memory: MemorySettings;
  seconds: number;
  warmupSeconds: number;
  soakSeconds: number;
  largeEntries: number;
  latencyRequests: number;
  sse: { subscribers: number; posts: number; gapMs: number };
  tracing: { rounds: number; amount: number };
  bursts: BurstSettings;
}

function whole(name: string, fallback: number, what: string): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${name} must be a whole number${what}`);
  return Number(value);
}

const seconds = (name: string, fallback: number) => whole(name, fallback, ' of seconds, e.g. 60');

function readSettings(): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    // Three rounds, so that retention shows as growth from one to the next, of at least a minute in all.
    memory: { rounds: 3, roundSeconds: seconds('BENCH_MEMORY_ROUND_SECONDS', quick ? 5 : 20), warmupSeconds: quick ? 3 : 10 },
    seconds: seconds('BENCH_DURATION_SECONDS', quick ? 3 : 10),
    warmupSeconds: quick ? 1 : 3,
    soakSeconds: seconds('BENCH_SOAK_SECONDS', quick ? 10 : 120),
    largeEntries: quick ? 50_000 : 1_000_000,
    latencyRequests: quick ? 200 : 2_000,
    sse: quick ? { subscribers: 100, posts: 5, gapMs: 200 } : { subscribers: 1_000, posts: 20, gapMs: 250 },
    tracing: { rounds: whole('BENCH_TRACING_ROUNDS', quick ? 2 : 10, ', e.g. 10'), amount: quick ? 200 : 1_000 },
    // The sizes of issue 15, quick or not: a smaller burst would not show what it is about.
    bursts: {
      warmupSeconds: quick ? 5 : 15,
      reads: 1_000,
      posts: [200, 500],
      overload: { connections: 1_500, seconds: quick ? 4 : 12 },
      languages: { connections: 50, seconds: quick ? 5 : 10 },
    },
  };
}

interface RowSpec extends Omit<Row, 'load' | 'rssMaxMb'> {
  requests: LoadRequest[];
}

const count = (entries: number) => entries.toLocaleString('en');
const get = (path: string): LoadRequest[] => [{ path }];

const readRows = (entries: number): RowSpec[] => [
  { key: 'healthz', label: 'GET /api/healthz (Next.js, does nothing)', kind: 'app', floor: 'bare-healthz', requests: get('/api/healthz') },
  { key: 'bare-healthz', label: 'bare GET /healthz (node:http)', kind: 'bare', requests: get('/healthz') },
  { key: 'list', label: `GET /api/guestbook, first page (${count(entries)})`, kind: 'app', floor: 'bare-list', requests: get('/api/guestbook') },
  { key: 'bare-list', label: `bare list, first page (${count(entries)})`, kind: 'bare', requests: get('/list') },
  { key: 'page', label: `GET / (server-rendered page, ${count(entries)})`, kind: 'app', floor: 'bare-list', requests: get('/') },
];

const writeRows = (): RowSpec[] => [
  { key: 'post', label: 'POST /api/guestbook', kind: 'app', floor: 'bare-append', requests: [{ method: 'POST', path: '/api/guestbook', body: uniqueEntryBody }] },
  { key: 'bare-append', label: 'bare append', kind: 'bare', requests: [{ method: 'POST', path: '/append', body: uniqueEntryBody }] },
];

const largeRows = ({ length, middleId }: Seeded): RowSpec[] => [
  { key: 'list-large', label: `GET /api/guestbook, first page (${count(length)})`, kind: 'app', floor: 'bare-list-large', requests: get('/api/guestbook') },
  { key: 'bare-list-large', label: `bare list, first page (${count(length)})`, kind: 'bare', requests: get('/list') },
  {
    key: 'deep-large',
    label: `GET /api/guestbook?cursor= mid-stream (${count(length)})`,
    kind: 'app',
    floor: 'bare-deep-large',
    requests: get(`/api/guestbook?cursor=${encodeCursor(middleId, 0)}`),
  },
  { key: 'bare-deep-large', label: `bare list after mid-stream id (${count(length)})`, kind: 'bare', requests: get(`/list?after=${middleId}`) },
];

const origins = (stack: Stack, kind: Row['kind']) => stack[kind].map((server) => server.origin);
const appPids = (stack: Stack) => stack.app.map((server) => server.pid);
const target = (stack: Stack, kind: Row['kind']) => ({ origins: origins(stack, kind), pids: stack[kind].map((server) => server.pid) });

async function measureRows(stack: Stack, specs: RowSpec[], settings: Settings): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { requests, ...spec } of specs) {
    log(`${spec.label}: ${settings.seconds} s…`);
    const sampler = spec.kind === 'app' ? sampleRss(appPids(stack), 500) : undefined;
    const load = await runLoad(target(stack, spec.kind), requests, settings);
    const samples = sampler?.stop();
    rows.push({ ...spec, load, ...(samples && { rssMaxMb: Math.max(...samples) }) });
  }
  return rows;
}

async function firstPageLatency(stack: Stack, entries: number, settings: Settings) {
  const measure = (kind: Row['kind'], path: string): Promise<LatencyResult> =>
    sequentialLatency(origins(stack, kind).map((origin) => origin + path), settings.latencyRequests);
  return { entries, app: await measure('app', '/api/guestbook'), bare: await measure('bare', '/list') };
}

/** Reads and writes mixed as visitors would (four reads to a post), for as long as the soak lasts. */
async function soak(stack: Stack, settings: Settings) {
  log(`soak: mixed reads and writes for ${settings.soakSeconds} s…`);
  const sampler = sampleRss(appPids(stack), 1_000);
  const requests: LoadRequest[] = [...Array<LoadRequest>(4).fill({ path: '/api/guestbook' }), { method: 'POST', path: '/api/guestbook', body: uniqueEntryBody }];
  const load = await runLoad(target(stack, 'app'), requests, { seconds: settings.soakSeconds, warmupSeconds: 0 });
  const samples = sampler.stop();
  const row: Row = { key: 'soak', label: `soak: 4 list GETs : 1 POST (${settings.soakSeconds} s)`, kind: 'app', load, rssMaxMb: Math.max(...samples) };
  return { row, samples };
}

async function measurePageSize(origin: string): Promise<Results['pageSize']> {
  const html = Buffer.from(await (await fetch(`${origin}/`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
  return { bytes: html.length, gzipBytes: gzipSync(html).length };
}

const APP_READS = ['/api/healthz', '/api/guestbook', '/'];

// The first request of each route loads its code: "at rest" means after that, as in a running pod.
async function touchRoutes(stack: Stack): Promise<void> {
  for (const origin of origins(stack, 'app')) {
    for (const path of APP_READS) await fetch(origin + path).then((response) => response.arrayBuffer());
  }
}

// A cold process spends its first ten or twenty seconds compiling (seen: 2.9 ms of CPU per healthz
// request at first, 1.2 ms once warm; 3.8 ms per POST at first, 2.0 ms later), which the first rows
// would pay alone. The posts are trimmed away afterwards.
async function warmUp(stack: Stack, settings: Settings): Promise<void> {
  const seconds = 6 * settings.warmupSeconds;
  log(`warming up both kinds of server: ${2 * seconds} s…`);
  const post: LoadRequest = { method: 'POST', path: '/api/guestbook', body: uniqueEntryBody };
  await runLoad(target(stack, 'app'), [...APP_READS.map((path) => ({ path })), post], { seconds, warmupSeconds: 0 });
  await runLoad(target(stack, 'bare'), [{ path: '/healthz' }, { path: '/list' }], { seconds, warmupSeconds: 0 });
  await trimTo(stack.redis, SMALL_ENTRIES);
}

async function measure(stack: Stack, settings: Settings): Promise<Results> {
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  await seedTo(stack.redis, SMALL_ENTRIES);
  await touchRoutes(stack);
  const restMb = totalRssMb(appPids(stack));
  const pageSize = await measurePageSize(stack.app[0]!.origin);
  await warmUp(stack, settings);
  const firstPage = [await firstPageLatency(stack, SMALL_ENTRIES, settings)];
  const rows = await measureRows(stack, [...readRows(SMALL_ENTRIES), ...writeRows()], settings);

  // The write rows appended as many entries as they could (the bare floor tens of thousands).
  await trimTo(stack.redis, SMALL_ENTRIES);
  log(`seeding ${count(settings.largeEntries)} entries…`);
  const seeded = await seedTo(stack.redis, settings.largeEntries);
  firstPage.push(await firstPageLatency(stack, seeded.length, settings));
  rows.push(...(await measureRows(stack, largeRows(seeded), settings)));

  log(`SSE: ${settings.sse.subscribers} subscribers…`);
  const sse = await measureSse({ subscribeOrigin: stack.app[0]!.origin, postOrigins: origins(stack, 'app'), ...settings.sse });
  const soaked = await soak(stack, settings);
  rows.push(soaked.row);

  const cpus = os.cpus();
  return {
    startedAt,
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? '', node: process.version, loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
    settings: { ...settings, connections: CONNECTIONS, smallEntries: SMALL_ENTRIES, processesPerKind: stack.app.length },
    rows,
    firstPageLatency: firstPage,
    pageSize,
    sse,
    rss: {
      restMb,
      underLoadMb: Math.max(...rows.filter((row) => row.key !== 'soak').map((row) => row.rssMaxMb ?? 0)),
      soakWarmMb: soaked.samples[Math.floor(soaked.samples.length / 4)]!,
      soakEndMb: soaked.samples.at(-1)!,
      soakSamplesMb: soaked.samples,
    },
  };
}

async function runMemory(settings: Settings) {
  const { dir, redis } = await startRedis();
  const runs = await measureMemory(redis, dir, settings.memory, log);
  console.log(`\n${memorySummary(runs)}\n`);
  return runs;
}

async function runSpeed(settings: Settings, memory: Awaited<ReturnType<typeof runMemory>>, bursts: Awaited<ReturnType<typeof runBursts>>) {
  log(`starting Redis, 2 app and 2 bare processes${settings.quick ? ' (quick mode)' : ''}…`);
  const stack = await startStack();
  const results = await measure(stack, settings);
  console.log(`\n${summary(results)}`);
  const nginx = stack.front.process.pid!;
  // The admission queue is one process (one thread): its CPU is the front tier's too.
  const queue = stack.front.queue.pid!;
  const versus = await measureVersusClassic(
    stack.redis,
    {
      front: { origins: [stack.front.origin], pids: [], cpuSeconds: () => cpuSeconds([...appPids(stack), queue]) + cpuSecondsWithChildren(nginx) },
      next: target(stack, 'app'),
    },
    settings,
    log,
  );
  console.log(`\n${versusSummary(versus)}`);
  const tracing = await runTracing(stack, settings);
  log(`results written to ${save({ ...results, memory, bursts, versus, tracing })}`);
}

async function runBursts(settings: Settings) {
  const { dir, redis } = await startRedis();
  const bursts = await measureBursts(redis, dir, settings.bursts, log);
  console.log(`\n${burstsSummary(bursts)}\n`);
  return bursts;
}

async function runTracing(stack: Stack, settings: Settings) {
  const tracing = await measureTracing(stack, settings.tracing, log);
  console.log(`\n${tracingSummary(tracing)}`);
  return tracing;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const only = process.argv[2];
  // Every repeat of the signal (tsx passes Ctrl-C on, a terminal sends it too) waits for the same stop.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => void stopAll().finally(() => process.exit(code)));
  }
  ensureSystemPackages([REDIS], log);
  buildIfNeeded();
  try {
    if (only === 'tracing') {
      const stack = await startStack({ builds: [STANDALONE], bare: 0 });
      await seedTo(stack.redis, SMALL_ENTRIES);
      await runTracing(stack, settings);
    } else if (only === 'bursts') {
      await runBursts(settings);
    } else {
      const memory = await runMemory(settings);
      if (only !== 'memory') await runSpeed(settings, memory, await runBursts(settings));
    }
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
