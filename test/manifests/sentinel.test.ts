import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { APP_USER } from '@/scripts/redis-acl';
import {
  admittedInto,
  containerEnv,
  containers,
  expand,
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

const sentinelContainer = () => containers(workload(objects, 'redis-sentinel'))[0]!;
const sentinelEnv = () => containerEnv(objects, sentinelContainer());

/** start.sh as the pods mount it, from its ConfigMap. */
const startSh = () => lookUp(objects, 'ConfigMap', generated(objects, 'ConfigMap', 'redis-sentinel-scripts').metadata.name, 'start.sh')!;

/** Gives `run` a folder of its own that holds start.sh, and the script's path. */
function withStartSh<T>(run: (dir: string, file: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-start-'));
  try {
    const file = path.join(dir, 'start.sh');
    writeFileSync(file, startSh());
    return run(dir, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Only the variables given, as a container has them (Next's types would also demand a NODE_ENV).
const shellEnv = (variables: Record<string, string | undefined>) => variables as NodeJS.ProcessEnv;

/**
 * The configuration that start.sh writes for a new sentinel (its here-document), expanded with the
 * sentinel container's environment and the master that a sentinel monitors at the first start.
 */
function sentinelConfig(): string {
  const writing = /cat >"\$config" <<CONF\n[\s\S]*?\nCONF\n/.exec(startSh())?.[0];
  if (!writing) throw new Error('start.sh writes no sentinel configuration');
  const env = sentinelEnv();
  return execFileSync('sh', ['-c', writing.replace('>"$config"', '')], {
    env: shellEnv({ PATH: process.env.PATH, ...env, master: `${env.INITIAL_MASTER_HOST} 6379` }),
    encoding: 'utf8',
  });
}

/**
 * Runs start.sh as a Redis pod runs it (command, arguments and environment from the manifests), with
 * stubs that log how they are called: redis-cli answers nothing, as no sentinel does at the first
 * start of the deployment, and redis-server only logs its arguments.
 */
function startRedisPod(name: string): { sentinelQueries: string[]; started: string | undefined } {
  const [container] = containers(workload(objects, name));
  const env = containerEnv(objects, container!);
  const [shell, , ...args] = expand([...(container!.command ?? []), ...(container!.args ?? [])], env);
  return withStartSh((dir, file) => {
    const log = path.join(dir, 'calls.log');
    writeFileSync(path.join(dir, 'redis-cli'), `#!/bin/sh\necho "REDISCLI_AUTH=$REDISCLI_AUTH $*" >>"${log}"\n`, { mode: 0o755 });
    writeFileSync(path.join(dir, 'redis-server'), `#!/bin/sh\necho "redis-server $*" >>"${log}"\n`, { mode: 0o755 });
    execFileSync(shell!, [file, ...args], { env: shellEnv({ ...env, PATH: `${dir}:${process.env.PATH}` }), stdio: 'pipe' });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    return { sentinelQueries: calls.filter((call) => call.startsWith('REDISCLI_AUTH=')), started: calls.find((call) => call.startsWith('redis-server ')) };
  });
}

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
      sentinelPassword: testPasswords.sentinel,
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
    const env = sentinelEnv();
    expect(env.REDIS_SENTINEL_MASTER).toBe(frontendEnv().REDIS_SENTINEL_MASTER);
    expect(env.REDIS_SENTINELS).toBe(frontendEnv().REDIS_SENTINELS);
    expect(podBehind(env.INITIAL_MASTER_HOST!)).toBe('redis-master');
    expect(env.REDIS_PASSWORD).toBe(testPasswords.admin);
    expect(sentinelContainer().command).toEqual(['sh', '/scripts/start.sh', 'sentinel']);
  });

  it('has the sentinels require their password from the Secret, which their probe and redis-cli give', () => {
    const config = sentinelConfig();
    expect(config).toContain(`requirepass "${testPasswords.sentinel}"`);
    expect(config).toContain(`sentinel auth-pass guestbook "${testPasswords.admin}"`);
    expect(sentinelEnv().REDISCLI_AUTH).toBe(testPasswords.sentinel);
    expect(sentinelContainer().readinessProbe?.exec?.command?.join(' ')).toMatch(/redis-cli -p 26379 sentinel /);
  });

  it.each(redisServers)('has start.sh in %s ask every sentinel with their password, not the servers\'', (name) => {
    const { sentinelQueries, started } = startRedisPod(name);
    expect(sentinelQueries).toEqual(
      [0, 1, 2].map((n) => `REDISCLI_AUTH=${testPasswords.sentinel} -h redis-sentinel-${n}.redis-sentinel-headless -p 26379 --raw sentinel get-master-addr-by-name guestbook`),
    );
    // No sentinel answers the stub: the server starts in its manifest's role.
    expect(started).toMatch(/^redis-server .* --appendonly yes$/);
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
    withStartSh((_dir, file) => expect(() => execFileSync('sh', ['-n', file], { stdio: 'pipe' })).not.toThrow());
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
