import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { containerEnv, expand, lookUp, type IContainer, type K8sObject, type Workload } from '../manifests/render';

/**
 * `docker run` arguments for one pod of a workload, taken from its manifest the way the kubelet
 * reads it: image, command and args with $(VAR) expanded, the environment from its ConfigMaps and
 * Secrets, its volumes, user, read-only root, capabilities and limits. So the containers of the test
 * run as configured in k8s/, and a wrong manifest fails here as it would in a cluster.
 *
 * Every container of the pod runs, as in Kubernetes, in one network namespace held by a sandbox (the
 * kubelet's pause container): they reach each other on loopback, and the pod's address and ports
 * are the sandbox's. An emptyDir is one volume of the pod, shared by every container that mounts it.
 */

export interface PodRun {
  /** The pod's name: its sandbox's, and the prefix of its containers' (`<name>-<container>`) and volumes'. */
  name: string;
  network: string;
  /** The Service name that finds it (a Docker network alias). */
  alias: string;
  /** Where ConfigMap volumes are written as files. */
  filesDir: string;
  label: string;
  /** Publish the pod's ports (those of all its containers) on loopback. */
  publish?: boolean;
}

export interface PodPlan {
  /** Named volumes to create before the containers start: the pod's emptyDirs and claims. */
  volumes: string[];
  /** The sandbox first, then each container of the manifest in its order: a name and its `docker run` arguments. */
  containers: { name: string; args: string[] }[];
}

// Kubernetes quantities that Docker spells differently: 256Mi is 256m to Docker, 500m of CPU is 0.5.
const memory = (quantity: string) => quantity.replace(/^(\d+)([KMG])i$/, (_all, amount: string, unit: string) => `${amount}${unit.toLowerCase()}`);
const cpus = (quantity: string) => (quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity);

/** The pod's volume by name, as a Docker volume (named, so that its containers share it), if it is one. */
function podVolume(pod: Workload, run: PodRun, name: string): string | undefined {
  const claims = (pod.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [];
  const volume = pod.spec.template.spec?.volumes?.find((candidate) => candidate.name === name);
  // A volume, not a tmpfs: Docker gives a tmpfs over an image's folder to root, 0755, where an
  // emptyDir is writable by the pod's user (an empty volume takes the image folder's owner).
  if (volume?.emptyDir || claims.some((claim) => claim.metadata.name === name)) return `${run.name}-${name}`;
  return undefined;
}

function volumeArgs(objects: K8sObject[], pod: Workload, container: IContainer, run: PodRun): string[] {
  return (container.volumeMounts ?? []).flatMap((mount) => {
    const named = podVolume(pod, run, mount.name);
    if (named) return ['-v', `${named}:${mount.mountPath}`];
    const volume = pod.spec.template.spec?.volumes?.find((candidate) => candidate.name === mount.name);
    if (volume?.configMap) {
      const dir = path.join(run.filesDir, run.name, mount.name);
      mkdirSync(dir, { recursive: true });
      chmodSync(run.filesDir, 0o755);
      const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === volume.configMap!.name);
      for (const key of Object.keys(configMap?.data ?? {})) {
        writeFileSync(path.join(dir, key), lookUp(objects, 'ConfigMap', volume.configMap.name!, key)!, { mode: 0o644 });
      }
      return ['-v', `${dir}:${mount.mountPath}:ro`];
    }
    throw new Error(`the test does not know how to give volume ${mount.name} to ${run.name}`);
  });
}

function securityArgs(pod: Workload, container: IContainer): string[] {
  const podContext = pod.spec.template.spec?.securityContext;
  const context = container.securityContext;
  const user = context?.runAsUser ?? podContext?.runAsUser;
  const group = context?.runAsGroup ?? podContext?.runAsGroup;
  return [
    ...(user !== undefined ? ['--user', group !== undefined ? `${user}:${group}` : String(user)] : []),
    ...(context?.readOnlyRootFilesystem ? ['--read-only'] : []),
    ...(context?.allowPrivilegeEscalation === false ? ['--security-opt', 'no-new-privileges'] : []),
    ...(context?.capabilities?.drop ?? []).flatMap((capability) => ['--cap-drop', capability]),
  ];
}

function limitArgs(container: IContainer): string[] {
  const limits = container.resources?.limits ?? {};
  return [
    ...(limits.memory ? ['--memory', memory(String(limits.memory))] : []),
    ...(limits.cpu ? ['--cpus', cpus(String(limits.cpu))] : []),
  ];
}

export function podPlan(objects: K8sObject[], pod: Workload, run: PodRun): PodPlan {
  const containers = pod.spec.template.spec?.containers ?? [];
  const [first] = containers;
  if (!first?.image) throw new Error(`${pod.metadata.name} has no container image`);
  const ports = containers.flatMap((container) => container.ports ?? []);
  // The sandbox does nothing but hold the namespace; any image with `sleep` will do, so the first
  // container's (without that image's HEALTHCHECK, which is its container's).
  const sandbox = [
    'run', '--detach',
    '--name', run.name,
    '--label', run.label,
    '--network', run.network,
    '--network-alias', run.alias,
    ...(run.publish ? ports.flatMap((port) => ['--publish', `127.0.0.1::${port.containerPort}`]) : []),
    '--user', '65535:65535', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--memory', '16m',
    '--no-healthcheck', '--entrypoint', 'sleep', first.image, 'infinity',
  ];
  const volumes = new Set<string>();
  const runs = containers.map((container) => {
    if (!container.image) throw new Error(`${pod.metadata.name} has a container without an image`);
    for (const mount of container.volumeMounts ?? []) {
      const named = podVolume(pod, run, mount.name);
      if (named) volumes.add(named);
    }
    const env = containerEnv(objects, container);
    const [entrypoint, ...commandArgs] = expand(container.command ?? [], env);
    const name = `${run.name}-${container.name}`;
    return {
      name,
      args: [
        'run', '--detach',
        '--name', name,
        '--label', run.label,
        '--network', `container:${run.name}`,
        ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
        ...volumeArgs(objects, pod, container, run),
        ...securityArgs(pod, container),
        ...limitArgs(container),
        ...(entrypoint ? ['--entrypoint', entrypoint] : []),
        container.image,
        ...commandArgs,
        ...expand(container.args ?? [], env),
      ],
    };
  });
  return { volumes: [...volumes], containers: [{ name: run.name, args: sandbox }, ...runs] };
}
