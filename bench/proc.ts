import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the server processes use, read from /proc: resident memory, as the kernel counts it (what a
 * pod's memory limit is held to), and CPU time, which shows what a request costs even on a machine
 * that others keep busy.
 */

// Linux counts CPU time in clock ticks of 1/100 s (CLK_TCK) on every common platform.
const TICKS_PER_SECOND = 100;

// The fields after the command name (which may hold spaces), from the state on: [1] is the parent's
// pid, [11] and [12] utime and stime, [13] and [14] the same of the children that it has reaped.
const statFields = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

// Summed in whole ticks and divided once: sums of fractions in another order would differ in their last bits.
const ticks = (fields: string[], ...at: number[]) => at.reduce((sum, i) => sum + Number(fields[i]), 0);

/** User plus system CPU seconds that the processes have used since they started. */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + ticks(statFields(pid), 11, 12), 0) / TICKS_PER_SECOND;
}

interface Stat {
  pid: number;
  fields: string[];
}

// The kernel here may lack /proc/<pid>/task/<tid>/children: every process's parent is read instead.
function childStats(parent: number): Stat[] {
  const children: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = statFields(name);
      if (Number(fields[1]) === parent) children.push({ pid: Number(name), fields });
    } catch {
      // it ended between the listing and the read
    }
  }
  return children;
}

/** The processes whose parent is `parent` now. */
export const childPids = (parent: number) => childStats(parent).map((child) => child.pid);

/**
 * CPU seconds of a process and of its children, those that have ended included: a prefork server
 * ends and starts workers even under steady load, so that summing the live ones at two moments
 * misses (or cannot read) those that ended in between. A reaped child's time is added to its parent's.
 */
export function cpuSecondsWithChildren(parent: number): number {
  // The parent first: a child reaped between the reads is then missed rather than counted twice.
  const own = ticks(statFields(parent), 11, 12, 13, 14);
  return childStats(parent).reduce((sum, child) => sum + ticks(child.fields, 11, 12), own) / TICKS_PER_SECOND;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  // A worker that has exited but is not reaped yet (Apache's, under prefork) holds no memory.
  if (/^State:\s+Z/m.test(status)) return 0;
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** The summed RSS of the processes, in MiB. */
export const totalRssMb = (pids: number[]) => pids.reduce((sum, pid) => sum + rssMb(pid), 0);

export interface RssSampler {
  /** Stops sampling and returns every sample taken, in MiB, oldest first. */
  stop(): number[];
}

export function sampleRss(pids: number[], everyMs: number): RssSampler {
  const samples = [totalRssMb(pids)];
  const timer = setInterval(() => samples.push(totalRssMb(pids)), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push(totalRssMb(pids));
      return samples;
    },
  };
}
