import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { parseAllDocuments } from 'yaml';

/**
 * The manifests as `kubectl apply -k k8s/` sends them: rendered by kubectl's own kustomize from a copy
 * of k8s/ that holds a password of the test's, never the operator's.
 */

export const k8sDir = path.resolve(import.meta.dirname, '../../k8s');
export const passwordFile = 'redis-auth.env';

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
}

/** Renders a copy of k8s/ with these passwords in its password file, or without the file. */
export function renderManifests(passwords: Passwords | undefined): K8sObject[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-k8s-'));
  try {
    cpSync(k8sDir, dir, { recursive: true, filter: (source) => path.basename(source) !== passwordFile });
    if (passwords) writeFileSync(path.join(dir, passwordFile), `password=${passwords.admin}\napp-password=${passwords.app}\n`);
    return parseAllDocuments(kubectl(['kustomize', dir])).map((document) => document.toJS() as K8sObject);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

/** The environment that a container starts with, as the kubelet builds it from the manifests. */
export function containerEnv(objects: K8sObject[], container: IContainer): Record<string, string> {
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
    const value = ref ? lookUp(objects, kind, ref.name ?? '', ref.key) : variable.value;
    if (value === undefined) throw new Error(`env ${variable.name} of container ${container.name} does not resolve`);
    env[variable.name] = value;
  }
  return env;
}

/** Kubernetes expands $(VAR) in command and args from the container's environment. */
export function expand(words: string[], env: Record<string, string>): string[] {
  return words.map((word) => word.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole));
}
