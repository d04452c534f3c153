import { inject } from 'vitest';
import type { K8sObject } from '../manifests/render';
import { Deployment, nodePortOrigin, publicService, storageForRun } from './deploy';
import { detectLoader } from './images';
import { bytes, isReady, kubectl, Namespace, type Pod, statsSummary } from './kube';
import { waitUntil } from '../wait';
import { admits, type NetworkPolicy, type Source, targetsOf } from './policies';
import { recordStep } from './report';
import { allEntries, type Tally } from './traffic';

/**
 * One variant of k8s/ deployed in a namespace of its own for one test file: set up, walked step by
 * step (each step's time, requests and failures recorded for the run's table), and removed again
 * unless KEEP_NAMESPACE=1.
 */

export const cluster = inject('cluster');

/** The labels of each tier, as k8s/ sets them. */
export const TIERS = {
  master: 'app.kubernetes.io/component=master',
  replica: 'app.kubernetes.io/component=replica',
  frontend: 'app.kubernetes.io/component=frontend',
  sentinel: 'app.kubernetes.io/component=sentinel',
} as const;

export interface StepResult {
  requests?: number;
  failures?: number;
  note?: string;
}

export class Session {
  readonly namespace: Namespace;
  deployment!: Deployment;
  objects!: K8sObject[];
  origin!: string;
  readonly started = Date.now();

  constructor(
    readonly variant: string,
    private readonly kustomization: string,
  ) {
    this.namespace = new Namespace(`${cluster.run}-${variant}`);
  }

  async setUp(): Promise<void> {
    await this.step('deploy: apply, every rollout done', async () => {
      const storage = await storageForRun();
      const loader = await detectLoader();
      this.deployment = new Deployment(this.namespace, { kustomization: this.kustomization, ...storage }, loader, cluster.tags, cluster.serverActionsKey);
      await this.namespace.create();
      this.objects = await this.deployment.apply();
      await this.deployment.rolledOut(this.objects);
      this.origin = await nodePortOrigin(this.namespace, publicService(this.objects));
      return { note: `${this.origin}; claim: ${storage.storageClass ?? 'default StorageClass'}${storage.components.length ? `, ${storage.components.join(', ')}` : ''}` };
    });
  }

  async tearDown(): Promise<void> {
    this.deployment?.dispose();
    if (process.env.KEEP_NAMESPACE === '1') {
      console.log(`[cluster] KEEP_NAMESPACE=1: namespace ${this.namespace.name} kept (kubectl delete namespace ${this.namespace.name})`);
      return;
    }
    await this.namespace.delete();
  }

  /** Runs a step and records it, also when it fails. */
  async step<T extends StepResult | void>(name: string, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let result: T | undefined;
    let failed = false;
    try {
      result = await body();
      return result;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      recordStep(cluster.stepsFile, {
        variant: this.variant,
        step: name,
        seconds: (Date.now() - started) / 1000,
        requests: result?.requests ?? 0,
        failures: (result?.failures ?? 0) + (failed ? 1 : 0),
        note: failed ? 'FAILED' : result?.note,
      });
    }
  }

  pods(tier: keyof typeof TIERS): Promise<Pod[]> {
    return this.namespace.pods(TIERS[tier]);
  }

  async allPods(): Promise<Pod[]> {
    return this.namespace.pods('app.kubernetes.io/part-of=guestbook');
  }

  /** redis-cli in a Redis pod's server container (it authenticates through REDISCLI_AUTH). */
  redis(pod: string, ...args: string[]): Promise<string> {
    return this.namespace.exec(pod, 'redis', ['redis-cli', ...args]);
  }

  /** A field of INFO, e.g. info(pod, 'replication', 'role'). */
  async info(pod: string, section: string, field: string): Promise<string | undefined> {
    const text = await this.redis(pod, 'info', section);
    return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
  }

  /** Waits until every pod of a tier is Ready and as many as the workload wants. */
  async tierReady(tier: keyof typeof TIERS, count: number, timeoutMs = 180_000): Promise<void> {
    await waitUntil(`${count} ready ${tier} pods`, timeoutMs, async () => {
      const pods = await this.pods(tier);
      return pods.length === count && pods.every(isReady);
    });
  }

  /** Every acknowledged entry of a step is in the guestbook now. */
  async lostOf(tally: Tally): Promise<string[]> {
    const ids = new Set((await allEntries(this.origin)).map((entry) => entry.id));
    return tally.acknowledged.filter((entry) => !ids.has(entry.id)).map((entry) => `${entry.id} ${entry.message}`);
  }
}

/** A Tally's failures in a StepResult, with a note of what else it counted. */
export const summary = (tally: Tally & { missedByStreams?: string[] }, note = ''): StepResult => ({
  requests: tally.requests,
  failures: tally.failures.length + (tally.missedByStreams?.length ?? 0),
  note: [
    `${tally.acknowledged.length} acknowledged`,
    tally.refusedWrites ? `${tally.refusedWrites} writes 503+Retry-After` : '',
    tally.refusedReads ? `${tally.refusedReads} reads 503+Retry-After` : '',
    note,
  ].filter(Boolean).join(', '),
});

export interface ContainerCheck {
  pod: string;
  container: string;
}

/** Every container of every pod of the namespace: whatever k8s/ runs, new sidecars included. */
export async function everyContainer(session: Session): Promise<ContainerCheck[]> {
  return (await session.allPods()).flatMap((pod) => pod.spec.containers.map((container) => ({ pod: pod.metadata.name, container: container.name })));
}

/** What the hardening promises, asked of a running container: a non-root user, a read-only root, no capabilities. */
export async function hardeningOf(session: Session, { pod, container }: ContainerCheck): Promise<string[]> {
  const problems: string[] = [];
  const uid = await session.namespace.tryExec(pod, container, ['id', '-u']);
  if (!uid.ok || uid.output.trim() === '0') problems.push(`${pod}/${container}: id -u is ${uid.ok ? 'root' : `not answered (${uid.output.slice(0, 120)})`}`);
  const status = await session.namespace.tryExec(pod, container, ['cat', '/proc/1/status']);
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status.output)?.[1];
  if (!capEff || BigInt(`0x${capEff}`) !== 0n) problems.push(`${pod}/${container}: pid 1 has capabilities CapEff=${capEff ?? '?'}`);
  const write = await session.namespace.tryExec(pod, container, ['touch', '/cluster-test-probe']);
  if (write.ok) problems.push(`${pod}/${container}: wrote to its root filesystem`);
  else if (!/read-only file system/i.test(write.output)) problems.push(`${pod}/${container}: the write failed for another reason: ${write.output.slice(-160)}`);
  return problems;
}

/** Restarts of containers that no step caused: every container's restartCount, in pods that the steps left alone. */
export async function restartsOf(session: Session): Promise<string[]> {
  return (await session.allPods()).flatMap((pod) =>
    (pod.status.containerStatuses ?? []).filter((status) => status.restartCount > 0).map((status) => `${pod.metadata.name}/${status.name}: ${status.restartCount} restarts (${JSON.stringify(status.state).slice(0, 160)})`),
  );
}

/** Every container's working set, as the kubelet measures it, against its memory limit. */
export async function memoryOf(session: Session): Promise<{ over: string[]; highest: string }> {
  const pods = await session.allPods();
  const nodes = [...new Set(pods.map((pod) => pod.spec.nodeName).filter((node): node is string => Boolean(node)))];
  const summaries = await Promise.all(nodes.map(statsSummary));
  const over: string[] = [];
  let highest = { share: 0, text: '' };
  for (const pod of pods) {
    const stats = summaries.flatMap((summary) => summary.pods).find((candidate) => candidate.podRef.name === pod.metadata.name && candidate.podRef.namespace === session.namespace.name);
    for (const container of pod.spec.containers) {
      const limit = container.resources?.limits?.memory;
      const used = stats?.containers?.find((candidate) => candidate.name === container.name)?.memory?.workingSetBytes;
      if (!limit) over.push(`${pod.metadata.name}/${container.name}: no memory limit`);
      else if (used === undefined) over.push(`${pod.metadata.name}/${container.name}: the kubelet reports no memory`);
      else {
        const share = used / bytes(limit);
        if (share >= 1) over.push(`${pod.metadata.name}/${container.name}: ${(used / 2 ** 20).toFixed(0)} MiB of ${limit}`);
        if (share > highest.share) highest = { share, text: `${container.name} ${(used / 2 ** 20).toFixed(0)} MiB of ${limit}` };
      }
    }
  }
  return { over, highest: highest.text };
}

/**
 * The NetworkPolicies that the cluster holds for the namespace, evaluated for its live pods: for every
 * pod and every port of every other pod, whether a policy-enforcing cluster would let it connect. An
 * outsider (a pod of the namespace that is none of ours) and the `expected` map of the tiers say
 * who must get in where; every other connection must be refused.
 */
export async function policyViolations(session: Session, expected: (source: string, target: string, port: string) => boolean): Promise<{ violations: string[]; checked: number }> {
  const policies = (await session.namespace.json<{ items: NetworkPolicy[] }>(['get', 'networkpolicies'])).items;
  const namespace = JSON.parse(await kubectl(['get', 'namespace', session.namespace.name, '--output', 'json'])) as { metadata: { labels: Record<string, string> } };
  const pods = await session.allPods();
  const tierOf = (labels: Record<string, string>) => labels['app.kubernetes.io/component'] ?? 'outsider';
  const outsider: Source = { name: 'outsider', labels: { app: 'someone-else' }, namespaceLabels: namespace.metadata.labels };
  const sources: Source[] = [outsider, ...pods.map((pod) => ({ name: pod.metadata.name, labels: pod.metadata.labels, namespaceLabels: namespace.metadata.labels }))];
  const violations: string[] = [];
  let checked = 0;
  for (const source of sources) {
    for (const target of pods.flatMap(targetsOf)) {
      if (source.name === target.pod.metadata.name) continue;
      checked++;
      const port = target.portName ?? String(target.port);
      const want = expected(tierOf(source.labels), tierOf(target.pod.metadata.labels), port);
      const got = admits(policies, namespace.metadata.labels, source, target);
      if (want !== got) violations.push(`${source.name} → ${target.pod.metadata.name}:${port}: ${got ? 'admitted' : 'refused'}, expected ${want ? 'admitted' : 'refused'}`);
    }
  }
  return { violations, checked };
}

/**
 * Whether this cluster enforces NetworkPolicies: a connection that the policies refuse (a frontend's
 * app container to a Redis exporter's port) is tried for real, with Node's net module in the app's
 * container.
 */
export async function policiesEnforced(session: Session): Promise<boolean> {
  const [frontend] = await session.pods('frontend');
  const [replica] = await session.pods('replica');
  const script = `const s=require('net').connect(9121,'${replica!.status.podIP}');s.setTimeout(3000);s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('blocked');process.exit(0)});s.on('error',()=>{console.log('blocked');process.exit(0)})`;
  const answer = await session.namespace.exec(frontend!.metadata.name, 'frontend', ['node', '-e', script]);
  return answer.trim() === 'blocked';
}
