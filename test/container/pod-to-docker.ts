import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { containerEnv, expand, lookUp, type IContainer, type K8sObject, type Workload } from '../manifests/render';

/**
 * `docker run` arguments for one pod of a workload, taken from its manifest the way the kubelet
 * reads it: image, command and args with $(VAR) expanded, the environment from its ConfigMaps and
 * Secrets, its volumes, user, read-only root, capabilities and limits. So the containers of the test
 * run as configured in k8s/, and a wrong manifest fails here as it would in a cluster.
 */

export interface PodRun {
  /** The container's name, also the prefix of its volumes. */
  name: string;
  network: string;
  /** The Service name that finds it (a Docker network alias). */
  alias: string;
  /** Where ConfigMap volumes are written as files. */
  filesDir: string;
  label: string;
  /** Publish the container's ports on loopback. */
  publish?: boolean;
}

// Kubernetes quantities that Docker spells differently: 256Mi is 256m to Docker, 500m of CPU is 0.5.
const memory = (quantity: string) => quantity.replace(/^(\d+)([KMG])i$/, (_all, amount: string, unit: string) => `${amount}${unit.toLowerCase()}`);
const cpus = (quantity: string) => (quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity);

function volumeArgs(objects: K8sObject[], pod: Workload, container: IContainer, run: PodRun): string[] {
  const claims = (pod.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [];
  return (container.volumeMounts ?? []).flatMap((mount) => {
    const volume = pod.spec.template.spec?.volumes?.find((candidate) => candidate.name === mount.name);
    // An anonymous volume, not a tmpfs: Docker gives a tmpfs over an image's folder to root, 0755, where
    // an emptyDir is writable by the pod's user.
    if (volume?.emptyDir) return ['-v', mount.mountPath];
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
    if (claims.some((claim) => claim.metadata.name === mount.name)) return ['-v', `${run.name}-${mount.name}:${mount.mountPath}`];
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

export function dockerRunArgs(objects: K8sObject[], pod: Workload, run: PodRun): string[] {
  const [container] = pod.spec.template.spec?.containers ?? [];
  if (!container?.image) throw new Error(`${pod.metadata.name} has no container image`);
  const env = containerEnv(objects, container);
  const [entrypoint, ...commandArgs] = expand(container.command ?? [], env);
  return [
    'run', '--detach',
    '--name', run.name,
    '--label', run.label,
    '--network', run.network,
    '--network-alias', run.alias,
    ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    ...volumeArgs(objects, pod, container, run),
    ...securityArgs(pod, container),
    ...limitArgs(container),
    ...(run.publish ? (container.ports ?? []).flatMap((port) => ['--publish', `127.0.0.1::${port.containerPort}`]) : []),
    ...(entrypoint ? ['--entrypoint', entrypoint] : []),
    container.image,
    ...commandArgs,
    ...expand(container.args ?? [], env),
  ];
}
