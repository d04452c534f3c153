import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the server processes use, read from /proc: resident memory, as the kernel counts it (what a
 * pod's memory limit is held to), and CPU time, which shows what a request costs even on a machine
 * that others keep busy.
 */

// Linux counts CPU time in clock ticks of 1/100 s (CLK_TCK) on every common platform.
const TICKS_PER_SECOND = 100;

// The command name (2nd field) may hold spaces: the fields after it, from the state (3rd) on.
const statFields = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

/** User plus system CPU seconds that the processes have used since they started. */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = statFields(pid); // utime and stime: the 12th and 13th after the command name
    return sum + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }, 0);
}

/** The processes whose parent is `parent` now (the kernel here may lack /proc/<pid>/task/<tid>/children). */
export function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return Number(statFields(name)[1]) === parent;
      } catch {
        return false; // it ended between the listing and the read
      }
    })
    .map(Number);
}

export function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
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
