import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { APP_USER, appUserArgs } from '@/scripts/redis-acl';
import {
  containerEnv,
  expand,
  find,
  generated,
  k8sDir,
  lookUp,
  passwordFile,
  renderManifests,
  workload,
  workloads,
  type IContainer,
  type K8sObject,
  type Workload,
} from './render';

const passwords = { admin: 'test-admin-0123456789abcdef', app: 'test-app-0123456789abcdef' };
const objects = renderManifests(passwords);
const repoRoot = path.resolve(k8sDir, '..');

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const podLabels = (target: Workload) => target.spec.template.metadata?.labels;

/** The workloads whose pods a selector picks. */
const selected = (selector: Record<string, string> | undefined) =>
  workloads(objects).filter((candidate) => selects(selector, podLabels(candidate))).map((candidate) => candidate.metadata.name);

const containers = (target: Workload): IContainer[] => target.spec.template.spec?.containers ?? [];

const containerPorts = (target: Workload) => containers(target).flatMap((container) => container.ports ?? []);

/** Whether a port (number or name) that an object refers to is one the workload's containers open. */
const opens = (target: Workload, port: number | string | undefined) =>
  containerPorts(target).some((candidate) => candidate.containerPort === port || candidate.name === port);

const apiRoutes = (routePath: string) => existsSync(path.join(repoRoot, 'app', routePath, 'route.ts'));

describe('the manifests in k8s/', () => {
  it('render with kustomize into the classic guestbook topology', () => {
    const names = objects.map((object) => `${object.kind}/${object.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`);
    expect(names.sort()).toEqual(
      [
        'ConfigMap/guestbook-config', 'ConfigMap/redis-config', 'Secret/redis-auth',
        'Service/redis-master', 'Service/redis-slave', 'Service/frontend',
        'StatefulSet/redis-master', 'Deployment/redis-slave', 'Deployment/frontend',
        'PodDisruptionBudget/frontend', 'HorizontalPodAutoscaler/frontend',
        'NetworkPolicy/redis-master', 'NetworkPolicy/redis-slave', 'NetworkPolicy/frontend',
      ].sort(),
    );
    expect(workload(objects, 'redis-master').spec.replicas).toBe(1);
    expect(workload(objects, 'redis-slave').spec.replicas).toBe(2);
    expect(workload(objects, 'frontend').spec.replicas).toBe(3);
  });

  it('commit no password: the password file is git-ignored, and nothing renders without it', () => {
    expect(() => execFileSync('git', ['check-ignore', '--quiet', path.join('k8s', passwordFile)], { cwd: repoRoot })).not.toThrow();
    expect(() => renderManifests(undefined)).toThrow(passwordFile);
  });

  it.each(objects.map((object) => [`${object.kind} ${object.metadata.name}`, object] as const))(
    '%s is valid against the Kubernetes API schema',
    async (_name, object) => {
      // One module a kind, e.g. kubernetes-models/apps/v1/Deployment.
      const specifier = `kubernetes-models/${object.apiVersion}/${object.kind}`;
      const kinds = (await import(/* @vite-ignore */ specifier)) as Record<
        string,
        new (data: unknown) => { validate(): void }
      >;
      const Model = kinds[object.kind];
      if (!Model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
      expect(() => new Model(object).validate()).not.toThrow();
    },
  );

  it('are checked by a schema validator that does reject a wrong object', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = structuredClone(workload(objects, 'frontend')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
  });

  it('give every workload a selector that matches its own pods and no other workload', () => {
    for (const target of workloads(objects)) {
      expect(selected(target.spec.selector.matchLabels), target.metadata.name).toEqual([target.metadata.name]);
    }
  });

  it.each([
    ['redis-master', 'redis-master', 6379],
    ['redis-slave', 'redis-slave', 6379],
    ['frontend', 'frontend', 80],
  ])('Service %s sends port %i to the pods of %s, on a port their containers open', (service, target, port) => {
    const spec = find(objects, 'Service', service).spec as { selector: Record<string, string>; ports: { port: number; targetPort?: number | string }[] };
    expect(selected(spec.selector)).toEqual([target]);
    expect(spec.ports.map((entry) => entry.port)).toEqual([port]);
    for (const entry of spec.ports) expect(opens(workload(objects, target), entry.targetPort ?? entry.port)).toBe(true);
  });

  it('expose the frontend outside the cluster, as the seed did', () => {
    expect(['NodePort', 'LoadBalancer']).toContain((find(objects, 'Service', 'frontend').spec as { type?: string }).type);
  });

  it('point every HTTP probe at a route of the app, on a port the container opens', () => {
    const frontend = workload(objects, 'frontend');
    const [container] = containers(frontend);
    const probes = [container?.startupProbe, container?.livenessProbe, container?.readinessProbe];
    expect(probes.map((probe) => probe?.httpGet?.path)).toEqual(['/api/healthz', '/api/healthz', '/api/readyz']);
    for (const probe of probes) {
      expect(apiRoutes(probe!.httpGet!.path!), probe!.httpGet!.path).toBe(true);
      expect(opens(frontend, probe!.httpGet!.port)).toBe(true);
    }
  });

  it('give every container liveness and readiness probes, requests and limits', () => {
    for (const container of workloads(objects).flatMap(containers)) {
      expect(container.livenessProbe, container.name).toBeDefined();
      expect(container.readinessProbe, container.name).toBeDefined();
      expect(Object.keys(container.resources?.requests ?? {}).sort(), container.name).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources?.limits ?? {}).sort(), container.name).toEqual(['cpu', 'memory']);
    }
  });

  it('run every container as non-root, read-only, without privilege escalation or capabilities', () => {
    for (const target of workloads(objects)) {
      const pod = target.spec.template.spec!;
      expect(pod.securityContext?.runAsNonRoot, target.metadata.name).toBe(true);
      expect(pod.securityContext?.runAsUser, target.metadata.name).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext, container.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('give the frontend a writable cache on its read-only filesystem', () => {
    const pod = workload(objects, 'frontend').spec.template.spec!;
    const cache = pod.containers[0]?.volumeMounts?.find((mount) => mount.mountPath === '/app/.next/cache');
    expect(pod.volumes?.find((volume) => volume.name === cache?.name)?.emptyDir).toBeDefined();
  });

  it('resolve every ConfigMap and Secret that a pod refers to, key by key', () => {
    for (const target of workloads(objects)) {
      for (const container of containers(target)) expect(() => containerEnv(objects, container)).not.toThrow();
      for (const volume of target.spec.template.spec?.volumes ?? []) {
        const name = volume.configMap?.name ?? volume.secret?.secretName;
        const kind = volume.configMap ? 'ConfigMap' : 'Secret';
        if (name) expect(objects.some((object) => object.kind === kind && object.metadata.name === name), name).toBe(true);
      }
    }
  });

  it("give the frontend an environment that lib/config accepts: the app's user, writes to redis-master, reads from redis-slave", () => {
    const [container] = containers(workload(objects, 'frontend'));
    const env = { ...serviceLinks(objects), ...containerEnv(objects, container!) };
    expect(parseConfig(env).redis).toEqual({
      mode: 'direct',
      masterUrl: `redis://${APP_USER}:${passwords.app}@redis-master:6379`,
      replicaUrl: `redis://${APP_USER}:${passwords.app}@redis-slave:6379`,
    });
    expect(env.HOSTNAME).toBe('0.0.0.0');
  });

  it('keep the master on a volume, with the append-only file and the password from the Secret', () => {
    const master = workload(objects, 'redis-master');
    const [container] = containers(master);
    const args = expand(container!.args ?? [], containerEnv(objects, container!)).join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain(`--requirepass ${passwords.admin} --masterauth ${passwords.admin}`);
    const claims = (master.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [];
    const data = container!.volumeMounts?.find((mount) => mount.mountPath === '/data');
    expect(claims.map((claim) => claim.metadata.name)).toContain(data?.name);
    expect(lookUp(objects, 'ConfigMap', generated(objects, 'ConfigMap', 'redis-config').metadata.name, 'redis.conf')).toMatch(/^dir \/data$/m);
  });

  it('make the replicas follow the master through its Service, with its password', () => {
    const [container] = containers(workload(objects, 'redis-slave'));
    const args = expand(container!.args ?? [], containerEnv(objects, container!)).join(' ');
    expect(args).toContain('--replicaof redis-master 6379');
    expect(args).toContain(`--masterauth ${passwords.admin}`);
  });

  it.each(['redis-master', 'redis-slave'])("give %s the app's Redis user with exactly the rules of scripts/redis-acl.ts", (name) => {
    const [container] = containers(workload(objects, name));
    const args = expand(container!.args ?? [], containerEnv(objects, container!));
    const start = args.indexOf('--user');
    const end = args.findIndex((arg, index) => index > start && arg.startsWith('--'));
    expect(args.slice(start, end === -1 ? undefined : end)).toEqual(appUserArgs(passwords.app));
  });

  it('protect the frontend with a disruption budget and an autoscaler that target it', () => {
    expect(selected((find(objects, 'PodDisruptionBudget', 'frontend').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toEqual(['frontend']);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'frontend').spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'frontend' });
    expect(hpa.minReplicas).toBe(workload(objects, 'frontend').spec.replicas);
  });

  it('let only the frontends and the replicas reach Redis', () => {
    const allowedInto = (policy: string) => {
      const spec = find(objects, 'NetworkPolicy', policy).spec as {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { from?: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: string | number }[] }[];
      };
      const [target] = selected(spec.podSelector.matchLabels);
      for (const rule of spec.ingress) for (const port of rule.ports) expect(opens(workload(objects, target!), port.port)).toBe(true);
      return { target, from: spec.ingress.flatMap((rule) => rule.from ?? []).flatMap((peer) => selected(peer.podSelector?.matchLabels)).sort() };
    };
    expect(allowedInto('redis-master')).toEqual({ target: 'redis-master', from: ['frontend', 'redis-slave'] });
    expect(allowedInto('redis-slave')).toEqual({ target: 'redis-slave', from: ['frontend'] });
  });

  it('spread the pods of the replicated tiers over nodes', () => {
    for (const name of ['redis-slave', 'frontend']) {
      const target = workload(objects, name);
      const constraints = target.spec.template.spec?.topologySpreadConstraints ?? [];
      expect(constraints.map((constraint) => constraint.topologyKey), name).toContain('kubernetes.io/hostname');
      for (const constraint of constraints) expect(selected(constraint.labelSelector?.matchLabels), name).toEqual([name]);
    }
  });

  it('carry the recommended app.kubernetes.io labels', () => {
    for (const object of objects) {
      expect(object.metadata.labels, `${object.kind} ${object.metadata.name}`).toMatchObject({
        'app.kubernetes.io/part-of': 'guestbook',
        'app.kubernetes.io/managed-by': 'kustomize',
      });
    }
    for (const target of workloads(objects)) {
      expect(Object.keys(podLabels(target) ?? {})).toEqual(
        expect.arrayContaining(['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/version']),
      );
    }
  });
});

/** The variables that the kubelet injects for every Service of the namespace (enableServiceLinks). */
function serviceLinks(all: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  all.filter((object) => object.kind === 'Service').forEach((service, index) => {
    const prefix = service.metadata.name.toUpperCase().replace(/-/g, '_');
    const [port] = (service.spec as { ports: { port: number }[] }).ports;
    env[`${prefix}_SERVICE_HOST`] = `10.96.0.${index + 10}`;
    env[`${prefix}_SERVICE_PORT`] = String(port!.port);
    env[`${prefix}_PORT`] = `tcp://10.96.0.${index + 10}:${port!.port}`;
  });
  return env;
}
