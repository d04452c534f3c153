import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { parseAllDocuments } from 'yaml';

/**
 * The manifests as `kubectl apply -k k8s/` (or an overlay) sends them: rendered by kubectl's own
 * kustomize from a copy of k8s/ that holds a password of the test's, never the operator's.
 */

export const k8sDir = path.resolve(import.meta.dirname, '../../k8s');
export const repoRoot = path.resolve(k8sDir, '..');
/** The operator's password file, relative to k8s/. */
export const passwordFile = path.join('base', 'redis-auth.env');
/** The operator's server actions key, relative to k8s/. */
export const serverActionsKeyFile = path.join('base', 'server-actions.key');
/** The tests' own server actions key: base64 of 32 bytes, as the README's command writes it. */
export const testServerActionsKey = Buffer.alloc(32, 7).toString('base64');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Workload extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: IPodTemplateSpec };
}

export type { IContainer };

function kubectl(args: string[]): string {
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is not installed: the manifests tests render k8s/ with `kubectl kustomize` (install kubectl 1.27 or later)');
    }
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl ${args.join(' ')} failed:\n${stderr}`, { cause: error });
  }
}

export interface Passwords {
  /** Redis's administrator (the default user): replication and probes. */
  admin: string;
  /** The app's restricted Redis user. */
  app: string;
  /** The Redis exporters' user. */
  metrics: string;
  /** The sentinels' own (the Sentinel overlay). */
  sentinel: string;
}

/** The key of each password in the password file, as the README tells the operator to write it. */
export const passwordKeys: Record<keyof Passwords, string> = { admin: 'password', app: 'app-password', metrics: 'metrics-password', sentinel: 'sentinel-password' };

const passwordFileText = (passwords: Passwords) =>
  Object.entries(passwordKeys).map(([field, key]) => `${key}=${passwords[field as keyof Passwords]}\n`).join('');

/**
 * A copy of k8s/ in `dir` with these passwords and the tests' server actions key, or without either:
 * never the operator's.
 */
export function copyK8s(dir: string, passwords: Passwords | undefined, serverActionsKey = testServerActionsKey): void {
  const operators = [passwordFile, serverActionsKeyFile];
  cpSync(k8sDir, dir, { recursive: true, filter: (source) => !operators.includes(path.relative(k8sDir, source)) });
  if (!passwords) return;
  writeFileSync(path.join(dir, passwordFile), passwordFileText(passwords));
  writeFileSync(path.join(dir, serverActionsKeyFile), serverActionsKey);
}

/**
 * Renders a copy of k8s/ with these passwords in its password file, or without the file: the
 * kustomization in `variant`, a folder of k8s/ (`.` for k8s/ itself, `overlays/sentinel`), with the
 * Components named (folders of k8s/, e.g. `components/otel`) added as an overlay of the operator's would.
 */
export function renderManifests(passwords: Passwords | undefined, variant = '.', components: string[] = []): K8sObject[] {
  const top = mkdtempSync(path.join(tmpdir(), 'guestbook-k8s-'));
  const dir = path.join(top, 'k8s');
  try {
    copyK8s(dir, passwords);
    const target = components.length > 0 ? overlayWith(dir, variant, components) : path.join(dir, variant);
    return parseAllDocuments(kubectl(['kustomize', target])).map((document) => document.toJS() as K8sObject);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

/** A kustomization beside the copy of k8s/ (not inside: kustomize refuses that): `variant` as its resource, the components added. */
function overlayWith(dir: string, variant: string, components: string[]): string {
  const overlay = path.join(dir, '..', 'overlay');
  mkdirSync(overlay);
  const relative = (folder: string) => path.relative(overlay, path.join(dir, folder));
  const list = (items: string[]) => items.map((item) => `\n  - ${relative(item)}`).join('');
  writeFileSync(
    path.join(overlay, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:${list([variant])}\ncomponents:${list(components)}\n`,
  );
  return overlay;
}

/** Passwords of the tests' own, written into the copy of k8s/ that they render. */
export const testPasswords: Passwords = {
  admin: 'test-admin-0123456789abcdef',
  app: 'test-app-0123456789abcdef',
  metrics: 'test-metrics-0123456789abcdef',
  sentinel: 'test-sentinel-0123456789abcdef',
};

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** A ConfigMap or Secret by the name it has in k8s/, before kustomize appends its hash. */
export function generated(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name));
  if (!found) throw new Error(`no generated ${kind} ${name} in the rendered manifests`);
  return found;
}

export const workloadKinds = ['Deployment', 'StatefulSet'];

export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((object): object is Workload => workloadKinds.includes(object.kind));
}

export function workload(objects: K8sObject[], name: string): Workload {
  const found = workloads(objects).find((object) => object.metadata.name === name);
  if (!found) throw new Error(`no workload ${name} in the rendered manifests`);
  return found;
}

/** The value of a ConfigMap's or a Secret's key, decoded; undefined when the object or key is missing. */
export function lookUp(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string, key: string): string | undefined {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  const value = object?.data?.[key];
  if (value === undefined) return undefined;
  return kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

/** What the downward API tells a container about its pod (fieldRef), for a pod of the tests'. */
export interface PodFields {
  'metadata.name': string;
  'status.podIP': string;
  [fieldPath: string]: string;
}

const aPod: PodFields = { 'metadata.name': 'pod-0', 'metadata.namespace': 'default', 'spec.nodeName': 'node-0', 'status.podIP': '10.244.0.10' };

/**
 * The environment that a container starts with, as the kubelet builds it from the manifests: values
 * from ConfigMaps, Secrets and the pod's own fields, and $(VAR) of earlier variables expanded.
 */
export function containerEnv(objects: K8sObject[], container: IContainer, pod: PodFields = aPod): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const [kind, name] = source.configMapRef ? (['ConfigMap', source.configMapRef.name] as const) : (['Secret', source.secretRef?.name] as const);
    const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
    if (!object?.data) throw new Error(`envFrom ${kind} ${name} does not resolve`);
    for (const key of Object.keys(object.data)) env[key] = lookUp(objects, kind, object.metadata.name, key)!;
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    const kind = variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    const value = ref ? lookUp(objects, kind, ref.name ?? '', ref.key) : field ? pod[field] : variable.value;
    if (value === undefined) throw new Error(`env ${variable.name} of container ${container.name} does not resolve`);
    env[variable.name] = expand([value], env)[0]!;
  }
  return env;
}

/** Kubernetes expands $(VAR) in command and args from the container's environment. */
export function expand(words: string[], env: Record<string, string>): string[] {
  return words.map((word) => word.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole));
}

export type LabelSelector = Record<string, string> | undefined;

const selects = (selector: LabelSelector, labels: LabelSelector) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value);

export const podLabels = (target: Workload) => target.spec.template.metadata?.labels;

/** The workloads whose pods a selector picks. */
export const selected = (objects: K8sObject[], selector: LabelSelector) =>
  workloads(objects).filter((candidate) => selects(selector, podLabels(candidate))).map((candidate) => candidate.metadata.name);

export const containers = (target: Workload): IContainer[] => target.spec.template.spec?.containers ?? [];

/** A container of the workload's pod, by name. */
export function container(target: Workload, name: string): IContainer {
  const found = containers(target).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`${target.metadata.name} has no container ${name}`);
  return found;
}

/** The port (number or name) that an object refers to, as one of the container's ports; undefined if it opens no such port. */
export const portOf = (owner: IContainer, port: number | string | undefined) =>
  (owner.ports ?? []).find((candidate) => candidate.containerPort === port || candidate.name === port);

/** The container of the workload's pod that opens a port (number or name), if any does. */
export const opener = (target: Workload, port: number | string | undefined) => containers(target).find((candidate) => portOf(candidate, port));

/** Whether a port (number or name) that an object refers to is one the workload's containers open. */
export const opens = (target: Workload, port: number | string | undefined) => opener(target, port) !== undefined;

/** Whether the app has a route handler at this path, e.g. /api/healthz. */
export const apiRoute = (routePath: string) => existsSync(path.join(repoRoot, 'app', routePath, 'route.ts'));

export interface ServiceSpec {
  clusterIP?: string;
  type?: string;
  selector: Record<string, string>;
  ports: { port: number; targetPort?: number | string }[];
}

export interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  ingress: {
    from?: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: { matchLabels: Record<string, string> } }[];
    ports: { port: string | number }[];
  }[];
}

/**
 * The workload that a NetworkPolicy protects and the workloads that it lets in, sorted; every port
 * that it admits must be one that the protected pods open.
 */
export function admittedInto(objects: K8sObject[], policy: string): { target: string | undefined; from: string[] } {
  const spec = find(objects, 'NetworkPolicy', policy).spec as unknown as NetworkPolicySpec;
  const [target] = selected(objects, spec.podSelector.matchLabels);
  for (const rule of spec.ingress) {
    for (const port of rule.ports) {
      if (!opens(workload(objects, target ?? ''), port.port)) throw new Error(`NetworkPolicy ${policy} admits port ${port.port}, which ${target} does not open`);
    }
  }
  return { target, from: spec.ingress.flatMap((rule) => rule.from ?? []).flatMap((peer) => selected(objects, peer.podSelector?.matchLabels)).sort() };
}

/** The variables that the kubelet injects for every Service of the namespace that has a cluster IP (enableServiceLinks). */
export function serviceLinks(objects: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  const services = objects.filter((object) => object.kind === 'Service' && (object.spec as unknown as ServiceSpec).clusterIP !== 'None');
  services.forEach((service, index) => {
    const prefix = service.metadata.name.toUpperCase().replace(/-/g, '_');
    const [port] = (service.spec as unknown as ServiceSpec).ports;
    env[`${prefix}_SERVICE_HOST`] = `10.96.0.${index + 10}`;
    env[`${prefix}_SERVICE_PORT`] = String(port!.port);
    env[`${prefix}_PORT`] = `tcp://10.96.0.${index + 10}:${port!.port}`;
  });
  return env;
}

/** The base's Redis workloads, which the Sentinel overlay keeps. */
export const redisServers = ['redis-master', 'redis-slave'];

/** The arguments of every `--user` directive among a Redis container's arguments, expanded, in their order. */
export function aclArgs(objects: K8sObject[], name: string): string[] {
  const [container] = containers(workload(objects, name));
  const args = expand(container!.args ?? [], containerEnv(objects, container!));
  let inUser = false;
  return args.filter((arg) => {
    if (arg.startsWith('--')) inUser = arg === '--user';
    return inUser;
  });
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** The workloads whose pods a full label selector (matchLabels and matchExpressions) picks. */
export function selectedBy(objects: K8sObject[], selector: Selector): string[] {
  const matches = (labels: Record<string, string>) =>
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      if (operator === 'In') return values.includes(labels[key] ?? '');
      if (operator === 'NotIn') return !values.includes(labels[key] ?? '');
      throw new Error(`the tests do not know the selector operator ${operator}`);
    });
  return workloads(objects).filter((candidate) => matches(podLabels(candidate) ?? {})).map((candidate) => candidate.metadata.name);
}
