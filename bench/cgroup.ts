import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A memory cgroup with a limit, as a pod's container gets one: a process started in it sizes its
 * heap from the limit, and the kernel kills it when it goes over. cgroup v2 (one unified tree) and
 * v1 (a memory hierarchy of its own) are both handled; making one needs root.
 */

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

export interface MemoryReading {
  /** What the kubelet calls the working set: usage less the page cache that can be dropped. */
  workingSetBytes: number;
  /** How often the kernel's OOM killer ended a process here. */
  oomKills: number;
}

export interface MemoryCgroup {
  limitBytes: number;
  /** A shell command prefix that moves the shell into the cgroup before it execs the program. */
  enterCommand: string;
  read(): MemoryReading;
  remove(): void;
}

const statField = (text: string, field: string) => Number(new RegExp(`^${field} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

function layout(dir: string) {
  if (existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) {
    return {
      // A child of the root gets a memory controller only where the root hands it down.
      enable: () => writeFileSync(path.join(V2_ROOT, 'cgroup.subtree_control'), '+memory'),
      limit: (bytes: number) => writeFileSync(path.join(dir, 'memory.max'), String(bytes)),
      usage: () => Number(readFileSync(path.join(dir, 'memory.current'), 'utf8')),
      inactiveFile: () => statField(readFileSync(path.join(dir, 'memory.stat'), 'utf8'), 'inactive_file'),
      oomKills: () => statField(readFileSync(path.join(dir, 'memory.events'), 'utf8'), 'oom_kill'),
    };
  }
  return {
    enable: () => {},
    limit: (bytes: number) => writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(bytes)),
    usage: () => Number(readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8')),
    inactiveFile: () => statField(readFileSync(path.join(dir, 'memory.stat'), 'utf8'), 'total_inactive_file'),
    oomKills: () => statField(readFileSync(path.join(dir, 'memory.oom_control'), 'utf8'), 'oom_kill'),
  };
}

/** Why no cgroup can be made here, or undefined when one can. */
export function cgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'making a memory cgroup needs root';
  if (!existsSync(path.join(V2_ROOT, 'cgroup.controllers')) && !existsSync(V1_ROOT)) return 'no memory cgroup hierarchy under /sys/fs/cgroup';
  return undefined;
}

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const root = existsSync(path.join(V2_ROOT, 'cgroup.controllers')) ? V2_ROOT : V1_ROOT;
  const dir = path.join(root, name);
  const files = layout(dir);
  files.enable();
  mkdirSync(dir);
  files.limit(limitBytes);
  return {
    limitBytes,
    enterCommand: `echo $$ > ${path.join(dir, 'cgroup.procs')} && exec`,
    read: () => ({ workingSetBytes: Math.max(0, files.usage() - files.inactiveFile()), oomKills: files.oomKills() }),
    // The kernel refuses while a process is still inside; the caller stops its processes first.
    remove: () => rmdirSync(dir),
  };
}
