import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { APP_USER } from '@/scripts/redis-acl';
import {
  admittedInto,
  containerEnv,
  containers,
  find,
  generated,
  lookUp,
  redisServers,
  renderManifests,
  selected,
  serviceLinks,
  testPasswords,
  workload,
  type ServiceSpec,
} from './render';

/** The Sentinel overlay (k8s/overlays/sentinel/) beside the base that it builds on. */

const base = renderManifests(testPasswords);
const objects = renderManifests(testPasswords, 'overlays/sentinel');
const baseName = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');
const names = (all: typeof objects) => all.map((object) => `${object.kind}/${baseName(object.metadata.name)}`).sort();

const frontendEnv = () => {
  const [container] = containers(workload(objects, 'frontend'));
  return { ...serviceLinks(objects), ...containerEnv(objects, container!) };
};

/** The pod that a name like `redis-sentinel-1.redis-sentinel-headless` reaches, or why none does. */
function podBehind(host: string): string {
  const [pod, service, ...rest] = host.split('.');
  expect(rest, host).toEqual([]);
  const target = (objects.find((object) => object.kind === 'StatefulSet' && (object.spec as { serviceName?: string }).serviceName === service));
  expect(target, `a StatefulSet governed by ${service}`).toBeDefined();
  const ordinal = Number(pod!.slice(target!.metadata.name.length + 1));
  expect(pod!.startsWith(`${target!.metadata.name}-`) && ordinal < (target!.spec as { replicas: number }).replicas, host).toBe(true);
  return target!.metadata.name;
}

describe('the Sentinel overlay in k8s/overlays/sentinel/', () => {
  it('renders the base plus three sentinels, their Services, disruption budget and network policy, and their ConfigMaps', () => {
    expect(names(objects)).toEqual(
      [
        ...names(base),
        'ConfigMap/redis-sentinel', 'ConfigMap/redis-sentinel-scripts',
        'Service/redis-sentinel', 'Service/redis-sentinel-headless', 'StatefulSet/redis-sentinel',
        'PodDisruptionBudget/redis-sentinel', 'NetworkPolicy/redis-sentinel',
      ].sort(),
    );
    expect(workload(objects, 'redis-sentinel').spec.replicas).toBe(3);
    expect((find(objects, 'Service', 'redis-sentinel').spec as unknown as ServiceSpec).ports.map((entry) => entry.port)).toEqual([26379]);
  });

  it('switches the frontends to Sentinel mode: three sentinels by their pod names, the app user, a replica per write', () => {
    const config = parseConfig(frontendEnv());
    expect(config.redis).toEqual({
      mode: 'sentinel',
      sentinels: [0, 1, 2].map((n) => ({ host: `redis-sentinel-${n}.redis-sentinel-headless`, port: 26379 })),
      masterName: 'guestbook',
      username: APP_USER,
      password: testPasswords.app,
      sentinelPassword: undefined,
    });
    expect(config.writeAcks).toBe(1);
    const sentinel = workload(objects, 'redis-sentinel');
    if (config.redis.mode !== 'sentinel') throw new Error('not in Sentinel mode');
    for (const { host, port } of config.redis.sentinels) {
      expect(podBehind(host)).toBe('redis-sentinel');
      expect(containers(sentinel)[0]?.ports?.map((entry) => entry.containerPort)).toContain(port);
    }
  });

  it('has the sentinels watch, by the name that the frontends ask for, the master pod of the base, with the admin password', () => {
    const [container] = containers(workload(objects, 'redis-sentinel'));
    const env = containerEnv(objects, container!);
    expect(env.REDIS_SENTINEL_MASTER).toBe(frontendEnv().REDIS_SENTINEL_MASTER);
    expect(env.REDIS_SENTINELS).toBe(frontendEnv().REDIS_SENTINELS);
    expect(podBehind(env.INITIAL_MASTER_HOST!)).toBe('redis-master');
    expect(env.REDIS_PASSWORD).toBe(testPasswords.admin);
    expect(container!.command).toEqual(['sh', '/scripts/start.sh', 'sentinel']);
  });

  it('starts every Redis server through start.sh, with the base arguments and the sentinels to ask', () => {
    for (const name of redisServers) {
      const [container] = containers(workload(objects, name));
      const [original] = containers(workload(base, name));
      expect(container!.command, name).toEqual(['sh', '/scripts/start.sh', 'redis']);
      expect(container!.args, name).toEqual(original!.args);
      const env = containerEnv(objects, container!);
      expect(env.REDIS_SENTINELS, name).toBe(frontendEnv().REDIS_SENTINELS);
      expect(container!.env?.find((variable) => variable.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    }
  });

  it('mounts start.sh from its ConfigMap where the commands find it, and the script is valid sh', () => {
    const scripts = generated(objects, 'ConfigMap', 'redis-sentinel-scripts').metadata.name;
    for (const name of [...redisServers, 'redis-sentinel']) {
      const pod = workload(objects, name).spec.template.spec!;
      const mount = pod.containers[0]?.volumeMounts?.find((candidate) => candidate.mountPath === '/scripts');
      expect(pod.volumes?.find((volume) => volume.name === mount?.name)?.configMap?.name, name).toBe(scripts);
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-start-'));
    try {
      const file = path.join(dir, 'start.sh');
      writeFileSync(file, lookUp(objects, 'ConfigMap', scripts, 'start.sh')!);
      expect(() => execFileSync('sh', ['-n', file], { stdio: 'pipe' })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the sentinels a writable emptyDir for the configuration file that they rewrite', () => {
    const pod = workload(objects, 'redis-sentinel').spec.template.spec!;
    const data = pod.containers[0]?.volumeMounts?.find((mount) => mount.mountPath === '/data');
    expect(data?.readOnly).not.toBe(true);
    expect(pod.volumes?.find((volume) => volume.name === data?.name)?.emptyDir).toBeDefined();
  });

  it('keeps a quorum of sentinels through a voluntary disruption', () => {
    const budget = find(objects, 'PodDisruptionBudget', 'redis-sentinel').spec as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    expect(selected(objects, budget.selector.matchLabels)).toEqual(['redis-sentinel']);
    expect(workload(objects, 'redis-sentinel').spec.replicas! - budget.maxUnavailable).toBeGreaterThanOrEqual(2);
  });

  it('lets the frontends, the servers and the sentinels reach every Redis server and every sentinel', () => {
    const everyone = ['frontend', 'redis-master', 'redis-sentinel', 'redis-slave'];
    expect(admittedInto(objects, 'redis-master')).toEqual({ target: 'redis-master', from: everyone });
    expect(admittedInto(objects, 'redis-slave')).toEqual({ target: 'redis-slave', from: everyone });
    expect(admittedInto(objects, 'redis-sentinel')).toEqual({ target: 'redis-sentinel', from: everyone });
  });
});
