import path from 'node:path';
import { STREAM_KEY } from './bare-server';
import { cgroupUnavailable, createMemoryCgroup, type MemoryCgroup } from './cgroup';
import { runLoad, type LoadRequest, type LoadResult } from './load';
import { frontendContainer } from './manifest';
import { serverCommand } from '../scripts/stack';
import { waitForReplicaCatchUp, withClient, type RedisPair } from '../scripts/redis-server';
import { serverEnv, startProcess, stopProcess, type ServerProcess } from './servers';

/**
 * Memory under steady load, as a frontend pod would see it: the built server, started as the image
 * starts it and with the manifest's Node options, inside a memory cgroup with the manifest's limit,
 * driven on the page (50 connections, every other request with gzip) and the list (20 connections)
 * for several kinds of content. Each kind gets a fresh process and rounds of load; after each round
 * the server collects its garbage (bench/gc-probe.cjs) and reports the heap that survived, so
 * retention shows as growth from round to round. Nothing here asserts: it prints and returns.
 */

const PAGE_CONNECTIONS = 50;
const LIST_CONNECTIONS = 20;
const SAMPLE_MS = 250;
const ROOT = path.resolve(__dirname, '..');
const GC_PROBE = path.join(ROOT, 'bench', 'gc-probe.cjs');

// Retention is read as growth of the post-GC heap across rounds. A few MiB of it are noise (caches
// that fill, code that gets compiled): a few hundred bytes per request over a run on a busy machine.
// The leak of decision 009 kept tens of KB per request (every page and its response).
export const MEMORY_TARGETS = { workingSetShare: 0.7, retainedBytesPerRequest: 1024 };

interface NewEntry {
  name: string;
  message: string;
}

const repeatTo = (text: string, length: number) => [...text.repeat(Math.ceil(length / [...text].length))].slice(0, length).join('');

export const CONTENT_KINDS: { key: string; label: string; entries: () => NewEntry[] }[] = [
  {
    key: 'short',
    label: 'two dozen short plain entries',
    entries: () => Array.from({ length: 24 }, (_, i) => ({ name: `guest ${i}`, message: `hello number ${i}` })),
  },
  {
    key: 'long',
    label: 'two dozen long Chinese, emoji and right-to-left entries',
    entries: () =>
      Array.from({ length: 24 }, (_, i) => ({
        name: `访客 ${i} 🎉 زائر`,
        message: repeatTo(`你好，留言簿！这是第 ${i} 条留言 🌏✨ مرحبا بكم في دفتر الزوار `, 300),
      })),
  },
  {
    key: 'full',
    label: 'full pages: 100 entries of the longest name and message',
    entries: () => Array.from({ length: 100 }, (_, i) => ({ name: repeatTo(`Guest ${i} `, 64), message: repeatTo(`Entry ${i} fills its message to the limit. `, 500) })),
  },
  { key: 'empty', label: 'an empty guestbook', entries: () => [] },
];

export interface MemoryRun {
  kind: string;
  label: string;
  limitBytes: number;
  nodeOptions: string;
  requests: number;
  unanswered: number;
  statuses: Record<string, number>;
  survived: boolean;
  oomKills: number;
  peakWorkingSetBytes: number;
  finalWorkingSetBytes: number;
  /** The heap after a full GC: after the warm-up, then after each round. */
  postGcHeapBytes: number[];
  /** Growth of the post-GC heap from the first round to the last, per request between them. */
  retainedBytesPerRequest: number;
}

async function reseed(redis: RedisPair, entries: NewEntry[]): Promise<void> {
  await withClient(redis.master.url, async (master) => {
    const pipeline = master.pipeline().del(STREAM_KEY);
    for (const { name, message } of entries) pipeline.xadd(STREAM_KEY, '*', 'name', name, 'message', message);
    await pipeline.exec();
  });
  await waitForReplicaCatchUp(redis.master.url, redis.replica.url);
}

async function postGcHeap(probePort: number): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${probePort}/`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as { heapUsed: number }).heapUsed : undefined;
}

const PAGE: LoadRequest[] = [{ path: '/', headers: { 'accept-encoding': 'gzip' } }, { path: '/' }];
const LIST: LoadRequest[] = [{ path: '/api/guestbook' }];

/** The page and the list at once, as visitors and programs load a frontend together. */
async function drive(server: ServerProcess, seconds: number): Promise<LoadResult[]> {
  const target = { origins: [server.origin], pids: [server.pid] };
  return Promise.all([
    runLoad(target, PAGE, { seconds, warmupSeconds: 0, connections: PAGE_CONNECTIONS }),
    runLoad(target, LIST, { seconds, warmupSeconds: 0, connections: LIST_CONNECTIONS }),
  ]);
}

function sampleWorkingSet(cgroup: MemoryCgroup) {
  let peak = 0;
  let last = 0;
  const sample = () => {
    last = cgroup.read().workingSetBytes;
    peak = Math.max(peak, last);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peak, last };
    },
  };
}

function addStatuses(into: Record<string, number>, results: LoadResult[]): void {
  for (const { statuses } of results) for (const [status, count] of Object.entries(statuses)) into[status] = (into[status] ?? 0) + count;
}

export interface MemorySettings {
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
}

async function measureKind(redis: RedisPair, dir: string, kind: (typeof CONTENT_KINDS)[number], settings: MemorySettings): Promise<MemoryRun> {
  const { memoryLimitBytes, env } = frontendContainer();
  const nodeOptions = env.NODE_OPTIONS ?? '';
  await reseed(redis, kind.entries());
  const cgroup = createMemoryCgroup(`guestbook-bench-${process.pid}-${kind.key}`, memoryLimitBytes);
  const probePort = 40_000 + (process.pid % 20_000);
  const [node, [serverJs]] = serverCommand('start', '');
  const command: [string, string[]] = ['sh', ['-c', `${cgroup.enterCommand} "$0" "$@"`, node, '--expose-gc', '--require', GC_PROBE, serverJs!]];
  const server = await startProcess(`memory-${kind.key}`, command, { ...serverEnv(redis), NODE_OPTIONS: nodeOptions, GC_PROBE_PORT: String(probePort) }, '/api/readyz', dir);
  const statuses: Record<string, number> = {};
  let requests = 0;
  let unanswered = 0;
  try {
    await drive(server, settings.warmupSeconds);
    const heaps = [await postGcHeap(probePort)];
    const sampler = sampleWorkingSet(cgroup);
    const perRound: number[] = [];
    for (let round = 0; round < settings.rounds && server.child.exitCode === null; round++) {
      const results = await drive(server, settings.roundSeconds);
      addStatuses(statuses, results);
      const total = results.reduce((sum, result) => sum + result.requests, 0);
      requests += total;
      perRound.push(total);
      unanswered += results.reduce((sum, result) => sum + result.errors + result.non2xx, 0);
      heaps.push(await postGcHeap(probePort));
    }
    const workingSet = sampler.stop();
    const survived = server.child.exitCode === null && server.child.signalCode === null;
    const measured = heaps.filter((heap): heap is number => heap !== undefined);
    const grown = (measured.at(-1) ?? NaN) - (measured[1] ?? NaN);
    const between = perRound.slice(1).reduce((sum, total) => sum + total, 0);
    return {
      kind: kind.key,
      label: kind.label,
      limitBytes: memoryLimitBytes,
      nodeOptions,
      requests,
      unanswered,
      statuses,
      survived,
      oomKills: cgroup.read().oomKills,
      peakWorkingSetBytes: workingSet.peak,
      finalWorkingSetBytes: workingSet.last,
      postGcHeapBytes: measured,
      retainedBytesPerRequest: survived ? grown / between : NaN,
    };
  } finally {
    await stopProcess(server);
    cgroup.remove();
  }
}

export async function measureMemory(redis: RedisPair, dir: string, settings: MemorySettings, log: (line: string) => void): Promise<MemoryRun[] | string> {
  const unavailable = cgroupUnavailable();
  if (unavailable) return `not measured: ${unavailable}`;
  const runs: MemoryRun[] = [];
  for (const kind of CONTENT_KINDS) {
    log(`memory, ${kind.label}: ${settings.rounds} × ${settings.roundSeconds} s…`);
    runs.push(await measureKind(redis, dir, kind, settings));
  }
  return runs;
}
