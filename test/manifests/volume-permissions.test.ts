import type { IContainer } from 'kubernetes-models/v1/Container';
import { describe, expect, it } from 'vitest';
import { container, containerEnv, renderManifests, testPasswords, testServerActionsKey, workload, workloads, type K8sObject } from './render';

/**
 * The volume-permissions Component (k8s/components/volume-permissions/, decision 109) on the base and
 * on the Sentinel overlay, and the server actions' key that every frontend shares (decision 106).
 */

const variants = ['.', 'overlays/sentinel'].map((variant) => ({
  variant,
  without: renderManifests(testPasswords, variant),
  with: renderManifests(testPasswords, variant, ['components/volume-permissions']),
}));

const initContainers = (objects: K8sObject[]) =>
  workloads(objects).flatMap((target) => (target.spec.template.spec?.initContainers ?? []).map((init: IContainer) => `${target.metadata.name}/${init.name}`));

describe.each(variants)('components/volume-permissions on k8s/$variant', (variant) => {
  it("gives the master's data volume to Redis's user before Redis starts, and adds nothing elsewhere", () => {
    expect(initContainers(variant.without)).toEqual([]);
    expect(initContainers(variant.with)).toEqual(['redis-master/volume-permissions']);
    const [init] = workload(variant.with, 'redis-master').spec.template.spec!.initContainers!;
    const redis = container(workload(variant.with, 'redis-master'), 'redis');
    const uid = workload(variant.with, 'redis-master').spec.template.spec!.securityContext!.runAsUser;
    expect(init!.command).toEqual(['chown', `${uid}:${workload(variant.with, 'redis-master').spec.template.spec!.securityContext!.runAsGroup}`, '/data']);
    expect(init!.volumeMounts).toEqual([{ name: 'data', mountPath: redis.volumeMounts!.find((mount) => mount.name === 'data')!.mountPath }]);
  });

  it('runs that one command as root with CHOWN as its only capability, on a read-only root', () => {
    const [init] = workload(variant.with, 'redis-master').spec.template.spec!.initContainers!;
    expect(init!.securityContext).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['CHOWN'] },
    });
    expect(init!.resources?.limits?.memory).toBeDefined();
  });
});

describe.each(variants)('the server actions key on k8s/$variant', (variant) => {
  it('reaches every frontend from one Secret, as Next.js reads it', () => {
    expect(containerEnv(variant.without, container(workload(variant.without, 'frontend'), 'frontend')).NEXT_SERVER_ACTIONS_ENCRYPTION_KEY).toBe(testServerActionsKey);
  });
});
