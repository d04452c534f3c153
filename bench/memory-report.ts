import { fixed, markdownTable, verdict, type Target } from './report';
import { MEMORY_TARGETS, type MemoryRun } from './memory';

/** The memory benchmark's table and PASS/FAIL lines. */

const MIB = 2 ** 20;
const mib = (bytes: number) => fixed(bytes / MIB);
const share = (bytes: number, limit: number) => `${fixed((100 * bytes) / limit)}%`;

export function memoryTable(runs: MemoryRun[]): string {
  const header = ['content', 'requests', 'unanswered', 'survived', 'peak working set MiB', 'of limit', 'final MiB', 'post-GC heap MiB, by round', 'retained B / request'];
  return markdownTable(
    header,
    runs.map((run) => [
      run.label,
      String(run.requests),
      String(run.unanswered),
      run.survived && run.oomKills === 0 ? 'yes' : `NO (${run.oomKills} OOM kills)`,
      mib(run.peakWorkingSetBytes),
      share(run.peakWorkingSetBytes, run.limitBytes),
      mib(run.finalWorkingSetBytes),
      run.postGcHeapBytes.map((bytes) => fixed(bytes / MIB, 1)).join(' → '),
      fixed(run.retainedBytesPerRequest),
    ]),
  );
}

const failures = (statuses: Record<string, number>) =>
  Object.entries(statuses).filter(([status]) => !status.startsWith('2')).map(([status, count]) => `${count} × ${status}`).join(', ') || 'no error status';

export function memoryTargets(runs: MemoryRun[]): Target[] {
  return runs.flatMap((run) => [
    {
      name: `${run.label}: alive, every request answered`,
      verdict: verdict(run.survived && run.oomKills === 0 && run.unanswered === 0 && run.requests > 0),
      detail: `${run.requests} requests, ${run.unanswered} unanswered (${failures(run.statuses)}), ${run.oomKills} OOM kills`,
    },
    {
      name: `${run.label}: working set under ${MEMORY_TARGETS.workingSetShare * 100}% of the limit`,
      verdict: verdict(run.peakWorkingSetBytes < MEMORY_TARGETS.workingSetShare * run.limitBytes),
      detail: `peak ${mib(run.peakWorkingSetBytes)} MiB of ${mib(run.limitBytes)} MiB`,
    },
    {
      name: `${run.label}: retained heap ≈ 0 (post-GC growth across the rounds under ${MEMORY_TARGETS.retainedBytesPerRequest} B per request)`,
      verdict: verdict(run.retainedBytesPerRequest < MEMORY_TARGETS.retainedBytesPerRequest),
      detail: `${fixed(run.retainedBytesPerRequest)} B per request (${run.postGcHeapBytes.map((bytes) => fixed(bytes / MIB, 1)).join(' → ')} MiB)`,
    },
  ]);
}

export function memorySummary(runs: MemoryRun[] | string): string {
  if (typeof runs === 'string') return `memory: ${runs}`;
  const [first] = runs;
  return [
    `memory: the app's container as k8s/base/frontend.yaml gives it: limit ${mib(first?.limitBytes ?? NaN)} MiB, NODE_OPTIONS "${first?.nodeOptions ?? ''}"`,
    '',
    memoryTable(runs),
    '',
    ...memoryTargets(runs).map((target) => `${target.verdict} ${target.name}: ${target.detail}`),
  ].join('\n');
}
