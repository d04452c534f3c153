import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classicAvailability, classicRedis, CLASSIC_READ_PATH, seedClassic, startClassic } from './classic';
import { runLoad, type LoadRequest, type LoadResult, type LoadTarget } from './load';
import { fixed, markdownTable, verdict, type Target } from './report';
import { reseedWith } from './seed';

/**
 * The work a visitor causes, side by side with the classic PHP guestbook (bench/classic/) on the same
 * Redis pair and the same two cores: a list read, and a visit (the classic: its static page and one
 * list read; ours: `GET /` as a browser sends it), through our front tier and straight from Next.js,
 * at 10, 1,000 and 100,000 entries.
 */

export const SIZES = [10, 1_000, 100_000];
const TARGETS = { visit: 1.5, list: 2, p99Ms: 50 };
// Between its loads Apache prefork falls back to 10 idle workers and, under load again, forks 1, 2, 4…
// more a second: about 5 s until there is one for each of 50 connections. It is measured once it has them.
const CLASSIC_WARMUP_SECONDS = 8;
const BROWSER = { accept: 'text/html,application/xhtml+xml', 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.9' };

export interface VersusRow {
  entries: number;
  what: 'list read' | 'visit';
  classic?: LoadResult;
  front: LoadResult;
  next: LoadResult;
}

export interface VersusResults {
  classic: string;
  rows: VersusRow[];
}

interface Urls {
  masterUrl: string;
  replicaUrl: string;
}

// A classic visit is two requests; ours is one. Visits per second from requests per second.
const asVisits = (load: LoadResult, requestsPerVisit: number): LoadResult => ({ ...load, rps: load.rps / requestsPerVisit });

export async function measureVersusClassic(
  urls: Urls,
  ours: { front: LoadTarget; next: LoadTarget },
  settings: { seconds: number; warmupSeconds: number },
  log: (line: string) => void,
): Promise<VersusResults> {
  const available = classicAvailability(log);
  // A folder of its own, not inside the benchmark's (which only we may enter): Apache's workers run as another user.
  const classicDir = mkdtempSync(path.join(tmpdir(), 'guestbook-classic-'));
  const classic = available.available ? await startClassic({ dir: classicDir, ...classicRedis(urls.masterUrl, urls.replicaUrl) }) : undefined;
  const load = (target: LoadTarget, requests: LoadRequest[]) => runLoad(target, requests, settings);
  const loadClassic = (target: LoadTarget, requests: LoadRequest[]) =>
    runLoad(target, requests, { ...settings, warmupSeconds: Math.max(settings.warmupSeconds, CLASSIC_WARMUP_SECONDS) });
  const rows: VersusRow[] = [];
  try {
    for (const entries of SIZES) {
      log(`versus the classic, ${entries.toLocaleString('en')} entries…`);
      await reseedWith(urls, entries);
      if (classic) await seedClassic(urls.masterUrl, urls.replicaUrl, entries);
      const classicTarget = classic && { origins: [classic.origin], pids: [], cpuSeconds: classic.cpuSeconds };
      rows.push({
        entries,
        what: 'list read',
        classic: classicTarget && (await loadClassic(classicTarget, [{ path: CLASSIC_READ_PATH }])),
        front: await load(ours.front, [{ path: '/api/guestbook' }]),
        next: await load(ours.next, [{ path: '/api/guestbook' }]),
      });
      rows.push({
        entries,
        what: 'visit',
        classic: classicTarget && asVisits(await loadClassic(classicTarget, [{ path: '/' }, { path: CLASSIC_READ_PATH }]), 2),
        front: await load(ours.front, [{ path: '/', headers: BROWSER }]),
        next: await load(ours.next, [{ path: '/', headers: BROWSER }]),
      });
    }
  } finally {
    await classic?.stop();
    rmSync(classicDir, { recursive: true, force: true });
  }
  return { classic: available.available ? 'Apache prefork + mod_php + Predis (bench/classic/)' : `not available: ${available.reason}`, rows };
}

const cell = (load: LoadResult | undefined) => (load ? `${fixed(load.rps)} (p99 ${fixed(load.p99Ms)} ms)` : '–');
const times = (load: LoadResult, base: LoadResult | undefined) => (base ? `${fixed(load.rps / base.rps, 2)}×` : '–');

export function versusTable({ rows }: VersusResults): string {
  const header = ['entries, what', 'classic /s', 'ours via front tier /s', '÷ classic', 'ours from Next.js /s', '÷ classic', 'failed'];
  return markdownTable(
    header,
    rows.map((row) => [
      `${row.entries.toLocaleString('en')}, ${row.what}`,
      cell(row.classic),
      cell(row.front),
      times(row.front, row.classic),
      cell(row.next),
      times(row.next, row.classic),
      String([row.front, row.next].reduce((sum, load) => sum + load.errors + load.non2xx, 0)),
    ]),
  );
}

export function versusTargets({ rows }: VersusResults): Target[] {
  return rows.flatMap((row) => {
    const wanted = row.what === 'visit' ? TARGETS.visit : TARGETS.list;
    const label = `${row.what} at ${row.entries.toLocaleString('en')} entries`;
    return [
      {
        name: `${label} ≥ ${wanted}× the classic's, through the front tier`,
        verdict: row.classic ? verdict(row.front.rps >= wanted * row.classic.rps && row.front.errors + row.front.non2xx === 0) : ('SKIP' as const),
        detail: row.classic ? `${fixed(row.front.rps)} vs ${fixed(row.classic.rps)} = ${times(row.front, row.classic)}` : 'no classic to compare with',
      },
      { name: `${label}: p99 < ${TARGETS.p99Ms} ms at 50 connections, through the front tier`, verdict: verdict(row.front.p99Ms < TARGETS.p99Ms), detail: `p99 ${fixed(row.front.p99Ms)} ms` },
    ];
  });
}

export function versusSummary(results: VersusResults): string {
  return [`versus the classic guestbook: ${results.classic}`, '', versusTable(results), '', ...versusTargets(results).map((t) => `${t.verdict} ${t.name}: ${t.detail}`)].join('\n');
}
