import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { nginxExporterEnv, redisExporterEnv } from '@/scripts/exporters';
import { APP_USER, appUserArgs, METRICS_USER, metricsUserArgs } from '@/scripts/redis-acl';
import {
  aclArgs,
  admittedInto,
  apiRoute,
  container,
  containerEnv,
  containers,
  expand,
  find,
  generated,
  lookUp,
  opener,
  opens,
  passwordFile,
  serverActionsKeyFile,
  portOf,
  podLabels,
  redisServers,
  renderManifests,
  repoRoot,
  selected,
  serviceLinks,
  testPasswords,
  workload,
  workloads,
  type NetworkPolicySpec,
  type ServiceSpec,
} from './render';

const objects = renderManifests(testPasswords);
/** Where the NetworkPolicies expect Prometheus: its pods in the namespace monitoring. */
const PROMETHEUS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};
const isExporter = (entry: { command?: string[] }) => /^prometheus-\w+-exporter$/.test(entry.command?.[0] ?? '');
const frontTierTemplate = readFileSync(path.join(repoRoot, 'front-tier', 'nginx.conf'), 'utf8');
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
/** A flag of the render command by which the Dockerfile makes the front tier's nginx.conf (render), or the queue's haproxy.cfg (render-queue). */
const renderFlag = (flag: string, command = 'render') =>
  new RegExp(`--${flag} (\\S+)`).exec(dockerfile.slice(dockerfile.indexOf(`scripts/front-tier.ts ${command} `)))?.[1];
const queueTemplate = readFileSync(path.join(repoRoot, 'front-tier', 'haproxy.cfg'), 'utf8');
const variants = [
  ['k8s/', objects],
  ['k8s/overlays/sentinel/', renderManifests(testPasswords, 'overlays/sentinel')],
  ['k8s/ with components/otel', renderManifests(testPasswords, '.', ['components/otel'])],
  ['k8s/overlays/sentinel/ with components/otel', renderManifests(testPasswords, 'overlays/sentinel', ['components/otel'])],
] as const;

describe.each(variants)('every object of %s', (_variant, all) => {
  it.each(all.map((object) => [`${object.kind} ${object.metadata.name}`, object] as const))(
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

  it('gives every workload a selector that matches its own pods and no other workload', () => {
    for (const target of workloads(all)) {
      expect(selected(all, target.spec.selector.matchLabels), target.metadata.name).toEqual([target.metadata.name]);
    }
  });

  it('sends every Service to the pods of one workload, on ports their containers open', () => {
    for (const service of all.filter((object) => object.kind === 'Service')) {
      const spec = service.spec as unknown as ServiceSpec;
      const targets = selected(all, spec.selector);
      expect(targets, service.metadata.name).toHaveLength(1);
      for (const entry of spec.ports) expect(opens(workload(all, targets[0]!), entry.targetPort ?? entry.port), service.metadata.name).toBe(true);
    }
  });

  it('names a headless Service that selects its pods as the governing Service of every StatefulSet', () => {
    for (const target of workloads(all).filter((object) => object.kind === 'StatefulSet')) {
      const name = (target.spec as { serviceName?: string }).serviceName ?? '';
      const spec = find(all, 'Service', name).spec as unknown as ServiceSpec;
      expect(spec.clusterIP, name).toBe('None');
      expect(selected(all, spec.selector), name).toEqual([target.metadata.name]);
    }
  });

  it("points every HTTP probe of the app at a route of the app, on a port the app's container opens", () => {
    const app = container(workload(all, 'frontend'), 'frontend');
    const probes = [app.startupProbe, app.livenessProbe, app.readinessProbe];
    expect(probes.map((probe) => probe?.httpGet?.path)).toEqual(['/api/healthz', '/api/healthz', '/api/readyz']);
    for (const probe of probes) {
      expect(apiRoute(probe!.httpGet!.path!), probe!.httpGet!.path).toBe(true);
      expect(portOf(app, probe!.httpGet!.port)).toBeDefined();
    }
  });

  it("points the front tier's probes at its own liveness route, on a port the front tier's container opens", () => {
    const front = container(workload(all, 'frontend'), 'front-tier');
    const probes = [front.livenessProbe, front.readinessProbe];
    for (const probe of probes) {
      expect(probe?.httpGet?.path).toBe('/_front-tier/healthz');
      expect(frontTierTemplate).toContain(`location = ${probe!.httpGet!.path} {`);
      expect(portOf(front, probe!.httpGet!.port)).toBeDefined();
    }
  });

  it("asks Prometheus to scrape the frontends' metrics route, on the port the app's container opens", () => {
    const frontend = workload(all, 'frontend');
    const annotations = frontend.spec.template.metadata?.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(opener(frontend, Number(annotations['prometheus.io/port']))?.name).toBe('frontend');
    expect(annotations['prometheus.io/path']).toBe('/api/metrics');
    expect(apiRoute(annotations['prometheus.io/path']!)).toBe(true);
  });

  it('gives every container a liveness probe, requests and limits, and every one but the exporters a readiness probe', () => {
    for (const container of workloads(all).flatMap(containers)) {
      expect(container.livenessProbe, container.name).toBeDefined();
      // A pod is ready when all its containers are: an exporter's trouble must not take Redis or a
      // frontend out of its Service.
      expect(container.readinessProbe !== undefined, container.name).toBe(!isExporter(container));
      expect(Object.keys(container.resources?.requests ?? {}).sort(), container.name).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources?.limits ?? {}).sort(), container.name).toEqual(['cpu', 'memory']);
    }
  });

  it('runs a Redis exporter beside every Redis server, as the metrics user, on a port of its own', () => {
    const servers = workloads(all).filter((target) => podLabels(target)?.['app.kubernetes.io/name'] === 'redis');
    expect(servers.length).toBeGreaterThanOrEqual(2);
    for (const target of servers) {
      const [server, ...sidecars] = containers(target);
      const exporter = sidecars.find((candidate) => candidate.command?.[0] === 'prometheus-redis-exporter');
      expect(exporter, target.metadata.name).toBeDefined();
      const port = server!.ports![0]!.containerPort;
      const sentinel = podLabels(target)?.['app.kubernetes.io/component'] === 'sentinel';
      // Redis servers as the metrics user; a sentinel, with the sentinels' password.
      const login = sentinel ? { password: testPasswords.sentinel } : { user: METRICS_USER, password: testPasswords.metrics };
      expect(containerEnv(all, exporter!), target.metadata.name).toEqual(
        redisExporterEnv({ address: `127.0.0.1:${port}`, ...login, listen: `:${exporter!.ports![0]!.containerPort}` }),
      );
      expect(exporter!.image).toBe('guestbook-exporters:0.1.0');
    }
  });

  it('runs every container as non-root, read-only, without privilege escalation or capabilities', () => {
    for (const target of workloads(all)) {
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

  it('resolves every ConfigMap and Secret that a pod refers to, key by key', () => {
    for (const target of workloads(all)) {
      for (const container of containers(target)) expect(() => containerEnv(all, container)).not.toThrow();
      for (const volume of target.spec.template.spec?.volumes ?? []) {
        const name = volume.configMap?.name ?? volume.secret?.secretName;
        const kind = volume.configMap ? 'ConfigMap' : 'Secret';
        if (name) expect(all.some((object) => object.kind === kind && object.metadata.name === name), name).toBe(true);
      }
    }
  });

  it.each(redisServers)("gives %s the app's and the exporter's Redis users with exactly the rules of scripts/redis-acl.ts", (name) => {
    expect(aclArgs(all, name)).toEqual([...appUserArgs(testPasswords.app), ...metricsUserArgs(testPasswords.metrics)]);
  });

  it('spreads the pods of the replicated tiers over nodes', () => {
    for (const target of workloads(all).filter((object) => (object.spec.replicas ?? 1) > 1)) {
      const name = target.metadata.name;
      const constraints = target.spec.template.spec?.topologySpreadConstraints ?? [];
      expect(constraints.map((constraint) => constraint.topologyKey), name).toContain('kubernetes.io/hostname');
      for (const constraint of constraints) expect(selected(all, constraint.labelSelector?.matchLabels), name).toEqual([name]);
    }
  });

  it('carries the recommended app.kubernetes.io labels', () => {
    for (const object of all) {
      expect(object.metadata.labels, `${object.kind} ${object.metadata.name}`).toMatchObject({
        'app.kubernetes.io/part-of': 'guestbook',
        'app.kubernetes.io/managed-by': 'kustomize',
      });
    }
    for (const target of workloads(all)) {
      expect(Object.keys(podLabels(target) ?? {})).toEqual(
        expect.arrayContaining(['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/version']),
      );
    }
  });
});

describe('the manifests in k8s/', () => {
  it('render with kustomize into the classic guestbook topology', () => {
    const names = objects.map((object) => `${object.kind}/${object.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`);
    expect(names.sort()).toEqual(
      [
        'ConfigMap/guestbook-config', 'ConfigMap/redis-config', 'Secret/redis-auth', 'Secret/server-actions',
        'Service/redis-master', 'Service/redis-master-headless', 'Service/redis-slave', 'Service/frontend',
        'StatefulSet/redis-master', 'Deployment/redis-slave', 'Deployment/frontend',
        'PodDisruptionBudget/frontend', 'HorizontalPodAutoscaler/frontend',
        'NetworkPolicy/redis-master', 'NetworkPolicy/redis-slave', 'NetworkPolicy/frontend',
      ].sort(),
    );
    expect(workload(objects, 'redis-master').spec.replicas).toBe(1);
    expect(workload(objects, 'redis-slave').spec.replicas).toBe(2);
    expect(workload(objects, 'frontend').spec.replicas).toBe(3);
  });

  it('commit no password: the password file and the server actions key are git-ignored, and nothing renders without them', () => {
    for (const file of [passwordFile, serverActionsKeyFile]) {
      expect(() => execFileSync('git', ['check-ignore', '--quiet', path.join('k8s', file)], { cwd: repoRoot })).not.toThrow();
    }
    expect(() => renderManifests(undefined)).toThrow(path.basename(passwordFile));
  });

  it("are told by the README's command that writes the password file every key that a variant reads from it", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const command = readme.split('\n').find((line) => line.startsWith('printf ') && line.endsWith(` > k8s/${passwordFile}`)) ?? '';
    const written = [...command.matchAll(/(?:'|\\n)([a-z-]+)=%s/g)].map(([, key]) => key);
    const read = variants
      .flatMap(([, all]) => workloads(all).flatMap(containers))
      .flatMap((container) => container.env ?? [])
      .map((variable) => variable.valueFrom?.secretKeyRef)
      .filter((ref) => ref?.name === generated(objects, 'Secret', 'redis-auth').metadata.name)
      .map((ref) => ref!.key);
    expect(written.sort()).toEqual([...new Set(read)].sort());
  });

  it('are checked by a schema validator that does reject a wrong object', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = structuredClone(workload(objects, 'frontend')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
  });

  it.each([
    ['redis-master', 'redis-master', 6379],
    ['redis-slave', 'redis-slave', 6379],
    ['frontend', 'frontend', 80],
  ])('Service %s sends port %i to the pods of %s', (service, target, port) => {
    const spec = find(objects, 'Service', service).spec as unknown as ServiceSpec;
    expect(selected(objects, spec.selector)).toEqual([target]);
    expect(spec.ports.map((entry) => entry.port)).toEqual([port]);
  });

  it('expose the frontend outside the cluster, as the seed did', () => {
    expect(['NodePort', 'LoadBalancer']).toContain((find(objects, 'Service', 'frontend').spec as unknown as ServiceSpec).type);
  });

  it('give the frontend a writable cache on its read-only filesystem', () => {
    const pod = workload(objects, 'frontend').spec.template.spec!;
    const cache = container(workload(objects, 'frontend'), 'frontend').volumeMounts?.find((mount) => mount.mountPath === '/app/.next/cache');
    expect(pod.volumes?.find((volume) => volume.name === cache?.name)?.emptyDir).toBeDefined();
  });

  it("run the frontend pod as the app (Next.js), its front tier (nginx), the admission queue (HAProxy) and the front tier's exporter", () => {
    const frontend = workload(objects, 'frontend');
    expect(containers(frontend).map((entry) => [entry.name, entry.image])).toEqual([
      ['frontend', 'guestbook:0.1.0'],
      ['front-tier', 'guestbook-front-tier:0.1.0'],
      ['queue', 'guestbook-queue:0.1.0'],
      ['front-tier-exporter', 'guestbook-exporters:0.1.0'],
    ]);
    // kubectl logs and exec without -c reach the app.
    expect(frontend.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/default-container']).toBe('frontend');
  });

  it("send the frontend Service to the front tier's port, the one its image's nginx listens on; the front tier forwards to the app's port on loopback", () => {
    const frontend = workload(objects, 'frontend');
    const [servicePort] = (find(objects, 'Service', 'frontend').spec as unknown as ServiceSpec).ports;
    const front = container(frontend, 'front-tier');
    expect(opener(frontend, servicePort!.targetPort)?.name).toBe('front-tier');
    expect(renderFlag('listen')).toBe(`0.0.0.0:${portOf(front, servicePort!.targetPort)!.containerPort}`);
    expect(dockerfile).toContain(`EXPOSE ${portOf(front, servicePort!.targetPort)!.containerPort}`);
    const appPorts = container(frontend, 'frontend').ports ?? [];
    expect(appPorts.map((entry) => entry.containerPort)).toEqual([3000]);
    expect(renderFlag('upstream')).toBe(`127.0.0.1:${appPorts[0]!.containerPort}`);
  });

  it("give the front tier a writable folder on its read-only filesystem, where its image's nginx.conf puts pid, temporary files and cache", () => {
    const pod = workload(objects, 'frontend').spec.template.spec!;
    const run = container(workload(objects, 'frontend'), 'front-tier').volumeMounts?.find((mount) => mount.mountPath === renderFlag('dir'));
    expect(pod.volumes?.find((volume) => volume.name === run?.name)?.emptyDir).toBeDefined();
  });

  it('stop the front tier, then the queue, then the app, within the grace period: each stops taking requests before the one behind it', () => {
    const frontend = workload(objects, 'frontend');
    const sleep = (name: string) => Number(container(frontend, name).lifecycle?.preStop?.exec?.command?.join(' ').match(/^sleep (\d+)$/)?.[1]);
    expect(sleep('front-tier')).toBeGreaterThan(0);
    expect(sleep('queue')).toBeGreaterThan(sleep('front-tier'));
    expect(sleep('frontend')).toBeGreaterThan(sleep('queue'));
    const grace = frontend.spec.template.spec!.terminationGracePeriodSeconds!;
    // SIGQUIT, nginx's graceful stop, then at most worker_shutdown_timeout for the requests in flight.
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGQUIT$/m);
    const shutdown = Number(/^worker_shutdown_timeout (\d+)s;$/m.exec(frontTierTemplate)?.[1]);
    expect(sleep('front-tier') + shutdown).toBeLessThanOrEqual(grace);
    // SIGUSR1, HAProxy's soft stop, then at most hard-stop-after for what is in flight and queued.
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGUSR1$/m);
    const queueShutdown = Number(/^\s*hard-stop-after (\d+)s$/m.exec(queueTemplate)?.[1]);
    expect(sleep('queue') + queueShutdown).toBeLessThanOrEqual(grace);
  });

  it("point nginx and the queue at each other on loopback, and the queue's probes and metrics port at what its image's haproxy.cfg listens on", () => {
    const frontend = workload(objects, 'frontend');
    for (const door of ['queue-api', 'queue-pages']) {
      expect(renderFlag(door), door).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(renderFlag(door, 'render-queue'), door).toBe(renderFlag(door));
    }
    expect(renderFlag('upstream', 'render-queue')).toBe(`127.0.0.1:${container(frontend, 'frontend').ports![0]!.containerPort}`);
    const queue = container(frontend, 'queue');
    const health = renderFlag('queue-health', 'render-queue')!;
    expect(health).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const probe of [queue.livenessProbe, queue.readinessProbe]) {
      expect(probe?.exec?.command?.join(' ')).toContain(`/dev/tcp/${health.replace(':', '/')} `);
      expect(probe?.exec?.command?.join(' ')).toContain('GET /healthz ');
    }
    expect(queueTemplate).toMatch(/if \{ path \/healthz \}/);
    expect(renderFlag('queue-metrics', 'render-queue')).toBe(`0.0.0.0:${portOf(queue, 'queue-metrics')!.containerPort}`);
    // Only the metrics port is the pod's: nginx's doors and the liveness port stay inside it.
    expect((queue.ports ?? []).map((port) => port.name)).toEqual(['queue-metrics']);
  });

  it("admit anyone to the front tier, and to the app, the queue's metrics and the front tier's exporter only Prometheus (and, as always, the kubelet on the node)", () => {
    const frontend = workload(objects, 'frontend');
    const spec = find(objects, 'NetworkPolicy', 'frontend').spec as unknown as NetworkPolicySpec;
    const rules = spec.ingress.flatMap((rule) => rule.ports.map((port) => ({ container: opener(frontend, port.port)?.name, from: rule.from })));
    expect(rules.filter((rule) => rule.container === 'front-tier')).toEqual([{ container: 'front-tier', from: undefined }]);
    const toOperators = rules.filter((rule) => rule.container !== 'front-tier');
    expect(toOperators.map((rule) => rule.container).sort()).toEqual(['front-tier-exporter', 'frontend', 'queue']);
    for (const rule of toOperators) expect(rule.from).toEqual([PROMETHEUS_PEER]);
    expect(rules.every((rule) => rule.container !== undefined)).toBe(true);
  });

  it("run the front tier's exporter on the stub_status that the image's nginx serves on loopback", () => {
    const exporter = container(workload(objects, 'frontend'), 'front-tier-exporter');
    const status = renderFlag('status');
    expect(status).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(containerEnv(objects, exporter)).toEqual(nginxExporterEnv({ statusUrl: `http://${status}/stub_status`, listen: `:${exporter.ports![0]!.containerPort}` }));
    // Never one of the pod's ports: nothing outside the pod reaches it.
    expect(containers(workload(objects, 'frontend')).flatMap((entry) => entry.ports ?? []).map((port) => port.containerPort)).not.toContain(Number(status!.split(':')[1]));
  });

  it("give the frontend an environment that lib/config accepts: the app's user, writes to redis-master, reads from redis-slave, behind one front tier", () => {
    const env = { ...serviceLinks(objects), ...containerEnv(objects, container(workload(objects, 'frontend'), 'frontend')) };
    const config = parseConfig(env);
    expect(config.redis).toEqual({
      mode: 'direct',
      masterUrl: `redis://${APP_USER}:${testPasswords.app}@redis-master:6379`,
      replicaUrl: `redis://${APP_USER}:${testPasswords.app}@redis-slave:6379`,
    });
    expect(env.HOSTNAME).toBe('0.0.0.0');
    expect({ frontTier: config.frontTier, trustProxyHops: config.trustProxyHops }).toEqual({ frontTier: true, trustProxyHops: 1 });
  });

  it('keep the master on a volume, with the append-only file and the password from the Secret', () => {
    const master = workload(objects, 'redis-master');
    const [container] = containers(master);
    const args = expand(container!.args ?? [], containerEnv(objects, container!)).join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain(`--requirepass ${testPasswords.admin} --masterauth ${testPasswords.admin}`);
    const claims = (master.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [];
    const data = container!.volumeMounts?.find((mount) => mount.mountPath === '/data');
    expect(claims.map((claim) => claim.metadata.name)).toContain(data?.name);
    expect(lookUp(objects, 'ConfigMap', generated(objects, 'ConfigMap', 'redis-config').metadata.name, 'redis.conf')).toMatch(/^dir \/data$/m);
  });

  it('make the replicas follow the master through its Service, with its password', () => {
    const [container] = containers(workload(objects, 'redis-slave'));
    const args = expand(container!.args ?? [], containerEnv(objects, container!)).join(' ');
    expect(args).toContain('--replicaof redis-master 6379');
    expect(args).toContain(`--masterauth ${testPasswords.admin}`);
  });

  it('protect the frontend with a disruption budget and an autoscaler that target it', () => {
    expect(selected(objects, (find(objects, 'PodDisruptionBudget', 'frontend').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toEqual(['frontend']);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'frontend').spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'frontend' });
    expect(hpa.minReplicas).toBe(workload(objects, 'frontend').spec.replicas);
  });

  it('let only the frontends and the replicas reach Redis, and only Prometheus its exporters', () => {
    expect(admittedInto(objects, 'redis-master')).toEqual({ target: 'redis-master', from: ['frontend', 'redis-slave'] });
    expect(admittedInto(objects, 'redis-slave')).toEqual({ target: 'redis-slave', from: ['frontend'] });
    for (const name of redisServers) {
      const spec = find(objects, 'NetworkPolicy', name).spec as unknown as NetworkPolicySpec;
      const toExporter = spec.ingress.filter((rule) => rule.ports.some((port) => opener(workload(objects, name), port.port)?.name === 'exporter'));
      expect(toExporter.map((rule) => [rule.from, rule.ports])).toEqual([[[PROMETHEUS_PEER], [{ port: 'metrics' }]]]);
    }
  });
});
