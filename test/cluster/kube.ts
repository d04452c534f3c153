import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * kubectl against the cluster that KUBECONFIG names: the one tool the cluster tests talk to it with,
 * as an operator would (no client library, whose version could differ from the server's).
 */

export const kubectlBin = process.env.KUBECTL ?? 'kubectl';
const exec = promisify(execFile);

export async function kubectl(args: string[], input?: string): Promise<string> {
  if (input !== undefined) return kubectlWithInput(args, input);
  try {
    const { stdout } = await exec(kubectlBin, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`kubectl ${args.join(' ')} failed:\n${stderr || stdout || String(error)}`, { cause: error });
  }
}

function kubectlWithInput(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlBin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kubectl ${args.join(' ')} failed:\n${stderr}`))));
    child.stdin.end(input);
  });
}

/** Whether KUBECONFIG (or kubectl's default) reaches an API server that answers. */
export async function clusterAnswers(): Promise<boolean> {
  return kubectl(['get', '--raw', '/readyz', '--request-timeout=5s']).then(
    (body) => body.trim() === 'ok',
    () => false,
  );
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state: Record<string, unknown>;
}

export interface Pod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string; uid: string };
  spec: {
    nodeName?: string;
    containers: { name: string; resources?: { limits?: Record<string, string> }; ports?: { containerPort: number; name?: string }[] }[];
    initContainers?: { name: string }[];
  };
  status: { phase: string; podIP?: string; containerStatuses?: ContainerStatus[]; conditions?: { type: string; status: string }[] };
}

/** A namespace of the tests' own, and what they ask of it. */
export class Namespace {
  constructor(readonly name: string) {}

  run(args: string[], input?: string): Promise<string> {
    return kubectl(['--namespace', this.name, ...args], input);
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '--output', 'json'])) as T;
  }

  async pods(selector: string): Promise<Pod[]> {
    const { items } = await this.json<{ items: Pod[] }>(['get', 'pods', '--selector', selector]);
    return items.filter((pod) => !pod.metadata.deletionTimestamp);
  }

  /** A command in a container of a pod, as `kubectl exec` runs it; rejects on a non-zero exit. */
  exec(pod: string, container: string, command: string[]): Promise<string> {
    return this.run(['exec', pod, '--container', container, '--', ...command]);
  }

  /** The exit code of a command in a container, and what it printed. */
  async tryExec(pod: string, container: string, command: string[]): Promise<{ ok: boolean; output: string }> {
    return this.exec(pod, container, command).then(
      (output) => ({ ok: true, output }),
      (error: Error) => ({ ok: false, output: error.message }),
    );
  }

  async rolloutStatus(kind: string, name: string, timeoutSeconds = 300): Promise<void> {
    await this.run(['rollout', 'status', `${kind}/${name}`, `--timeout=${timeoutSeconds}s`]);
  }

  async create(): Promise<void> {
    await kubectl(['create', 'namespace', this.name]);
    await kubectl(['label', 'namespace', this.name, 'guestbook-cluster-test=true']);
  }

  async delete(): Promise<void> {
    await kubectl(['delete', 'namespace', this.name, '--wait=true', '--timeout=180s', '--ignore-not-found']);
  }
}

export const isReady = (pod: Pod) => pod.status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

/** The kubelet's summary of a node: every container's memory as the kubelet measures it. */
export interface StatsSummary {
  pods: {
    podRef: { name: string; namespace: string };
    containers?: { name: string; memory?: { workingSetBytes?: number; rssBytes?: number } }[];
  }[];
}

export const statsSummary = async (node: string) =>
  JSON.parse(await kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`])) as StatsSummary;

/** A quantity such as 256Mi, 1G or 512k, in bytes. */
export function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]i?|[kMGT])?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const units: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (match[2] ? units[match[2]]! : 1);
}
