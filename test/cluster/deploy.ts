import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { copyK8s, type K8sObject, type Passwords, type ServiceSpec, workloads } from '../manifests/render';
import { isOurs, type Loader } from './images';
import { kubectl, type Namespace } from './kube';

/**
 * k8s/ as an operator applies it, in a namespace of the tests': a copy with passwords of the run's,
 * under an overlay generated for the run that sets the namespace, the images' tags and the few
 * settings a test needs, applied with kubectl's own kustomize.
 */

export interface Variant {
  /** A folder of k8s/: `.` (the base as `kubectl apply -k k8s/` deploys it) or `overlays/sentinel`. */
  kustomization: string;
  /** Components of k8s/ added, e.g. components/volume-permissions. */
  components: string[];
  /** The master's claim: a StorageClass, or the cluster's default. */
  storageClass?: string;
}

/**
 * What the run changes in guestbook-config: the rate limit off, because every request of the tests
 * comes from one address (the host's), and 10 posts a minute would answer most of them 429.
 */
export const RUN_SETTINGS = { RATE_LIMIT_WRITES_PER_MINUTE: '0' };

const secret = () => randomBytes(12).toString('hex');

export class Deployment {
  readonly passwords: Passwords = { admin: secret(), app: secret(), metrics: secret(), sentinel: secret() };
  private readonly top = mkdtempSync(path.join(tmpdir(), 'guestbook-cluster-'));
  private readonly overlay = path.join(this.top, 'overlay');
  private settings: Record<string, string> = { ...RUN_SETTINGS };
  private tags: Record<string, string>;

  /** `tags`: for every image of ours, the tag that the run loaded. */
  constructor(
    readonly namespace: Namespace,
    readonly variant: Variant,
    readonly loader: Loader,
    tags: Record<string, string>,
    serverActionsKey: string,
  ) {
    this.tags = tags;
    copyK8s(path.join(this.top, 'k8s'), this.passwords, serverActionsKey);
    mkdirSync(this.overlay);
  }

  /** The overlay's kustomization for the current tag and settings. */
  private write(objects?: K8sObject[]): void {
    const images = [...new Set((objects ?? []).flatMap(podImages).map((image) => image.split(':')[0]!).filter(isOurs))];
    const missing = images.filter((image) => !this.tags[image]);
    if (missing.length) throw new Error(`no image built for ${missing.join(', ')}`);
    const list = (items: string[], indent = '  ') => items.map((item) => `\n${indent}- ${item}`).join('');
    const claimClass = this.variant.storageClass
      ? `patches:\n  - target:\n      kind: StatefulSet\n      name: redis-master\n    patch: |-\n      - op: add\n        path: /spec/volumeClaimTemplates/0/spec/storageClassName\n        value: ${this.variant.storageClass}\n`
      : '';
    writeFileSync(
      path.join(this.overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `namespace: ${this.namespace.name}`,
        `resources:${list([path.join('../k8s', this.variant.kustomization)])}`,
        ...(this.variant.components.length ? [`components:${list(this.variant.components.map((component) => path.join('../k8s', component)))}`] : []),
        ...(images.length
          ? [`images:${images.map((image) => `\n  - name: ${image}\n    newName: ${this.loader.nameFor(image)}\n    newTag: ${this.tags[image]}`).join('')}`]
          : []),
        'configMapGenerator:',
        '  - name: guestbook-config',
        '    behavior: merge',
        `    literals:${list(Object.entries(this.settings).map(([key, value]) => `${key}=${value}`), '      ')}`,
        claimClass,
      ].join('\n'),
    );
  }

  /** The manifests as they will be applied, rendered by kubectl's kustomize. */
  async render(): Promise<K8sObject[]> {
    // The images to set are the rendered ones: a first pass without, a second with them.
    this.write();
    const first = await this.kustomize();
    this.write(first);
    return this.kustomize();
  }

  private async kustomize(): Promise<K8sObject[]> {
    return parseAllDocuments(await kubectl(['kustomize', this.overlay])).map((document) => document.toJS() as K8sObject);
  }

  /** Applies the overlay, pruning nothing: kustomize's generated names change with their content. */
  async apply(): Promise<K8sObject[]> {
    const objects = await this.render();
    await kubectl(['apply', '--kustomize', this.overlay]);
    return objects;
  }

  async setTags(tags: Record<string, string>): Promise<K8sObject[]> {
    this.tags = tags;
    return this.apply();
  }

  async setSettings(settings: Record<string, string>): Promise<K8sObject[]> {
    this.settings = { ...RUN_SETTINGS, ...settings };
    return this.apply();
  }

  /** Waits for every workload of the manifests to be rolled out. */
  async rolledOut(objects: K8sObject[], timeoutSeconds = 300): Promise<void> {
    for (const target of workloads(objects)) await this.namespace.rolloutStatus(target.kind.toLowerCase(), target.metadata.name, timeoutSeconds);
  }

  dispose(): void {
    rmSync(this.top, { recursive: true, force: true });
  }
}

/** Every image that a workload's pods run, init containers too. */
export function podImages(object: K8sObject): string[] {
  if (!workloads([object]).length) return [];
  const spec = (object as unknown as { spec: { template: { spec: { containers: { image: string }[]; initContainers?: { image: string }[] } } } }).spec.template.spec;
  return [...spec.containers, ...(spec.initContainers ?? [])].map((container) => container.image);
}

/** The Service that visitors come in by: the one of type NodePort (or LoadBalancer, which has a node port too). */
export function publicService(objects: K8sObject[]): string {
  const found = objects.filter((object) => object.kind === 'Service' && ['NodePort', 'LoadBalancer'].includes((object.spec as unknown as ServiceSpec).type ?? ''));
  if (found.length !== 1) throw new Error(`expected one NodePort Service in the manifests, found ${found.map((object) => object.metadata.name).join(', ') || 'none'}`);
  return found[0]!.metadata.name;
}

/** http://<node address>:<node port> of the public Service, as the live API tells it. */
export async function nodePortOrigin(namespace: Namespace, service: string): Promise<string> {
  const live = await namespace.json<{ spec: { ports: { nodePort?: number }[] } }>(['get', 'service', service]);
  const port = live.spec.ports[0]?.nodePort;
  if (!port) throw new Error(`Service ${service} has no node port`);
  return `http://${await nodeAddress()}:${port}`;
}

/** CLUSTER_NODE_ADDRESS, else the first node's InternalIP (the local cluster binds node ports there only). */
export async function nodeAddress(): Promise<string> {
  if (process.env.CLUSTER_NODE_ADDRESS) return process.env.CLUSTER_NODE_ADDRESS;
  const nodes = JSON.parse(await kubectl(['get', 'nodes', '--output', 'json'])) as { items: { status: { addresses: { type: string; address: string }[] } }[] };
  const address = nodes.items[0]?.status.addresses.find((candidate) => candidate.type === 'InternalIP')?.address;
  if (!address) throw new Error('no node with an InternalIP: set CLUSTER_NODE_ADDRESS');
  return address;
}

interface StorageClass {
  metadata: { name: string; annotations?: Record<string, string> };
  provisioner: string;
  reclaimPolicy?: string;
}

const HOST_PATH_PROVISIONERS = ['kubernetes.io/host-path', 'rancher.io/local-path', 'k8s.io/minikube-hostpath'];

/**
 * The master's claim in a run: CLUSTER_STORAGE_CLASS if set; else the default class if it deletes its
 * volumes with their claims, else one that does (a run must not use up a pool of retained volumes).
 * Volumes that ignore fsGroup (hostPath) get the volume-permissions Component (docs/decisions/109).
 */
export async function storageForRun(): Promise<{ storageClass?: string; components: string[] }> {
  const { items } = JSON.parse(await kubectl(['get', 'storageclasses', '--output', 'json'])) as { items: StorageClass[] };
  const isDefault = (item: StorageClass) => item.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
  const deletes = (item: StorageClass) => (item.reclaimPolicy ?? 'Delete') === 'Delete';
  const named = process.env.CLUSTER_STORAGE_CLASS;
  const chosen = named ? items.find((item) => item.metadata.name === named) : (items.find((item) => isDefault(item) && deletes(item)) ?? items.find(deletes));
  if (named && !chosen) throw new Error(`CLUSTER_STORAGE_CLASS=${named}: no such StorageClass`);
  const hostPath = chosen !== undefined && HOST_PATH_PROVISIONERS.includes(chosen.provisioner);
  return {
    storageClass: chosen && !isDefault(chosen) ? chosen.metadata.name : undefined,
    components: hostPath || process.env.CLUSTER_VOLUME_PERMISSIONS === '1' ? ['components/volume-permissions'] : [],
  };
}
