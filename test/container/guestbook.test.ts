import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, type LoadRequest } from '@/bench/load';
import { memoryBytes } from '@/bench/manifest';
import { APP_USER, METRICS_USER } from '@/scripts/redis-acl';
import { containers, renderManifests, workload, type K8sObject } from '../manifests/render';
import { waitUntil } from '../wait';
import { docker, ensureEngine } from './docker';
import { podPlan } from './pod-to-docker';

/**
 * The real images and the real manifests on a real Docker engine: a Redis master, two replicas and two
 * frontend pods on one network, found by the Service names redis-master and redis-slave, each started
 * the way its manifest in k8s/ starts it. A frontend pod is its containers together, the app
 * (Next.js), its front tier (nginx), the admission queue between them (HAProxy) and an exporter, in
 * one network namespace: a visitor comes in through the front tier's port, the operator (probes,
 * metrics) on the app's own and the exporters'.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const engine = await ensureEngine();
if (!engine) {
  if (process.env.REQUIRE_DOCKER === '1') throw new Error('REQUIRE_DOCKER=1, but no Docker engine answers and none could be started');
  console.warn(`\n${'!'.repeat(72)}\n!! SKIPPED: the container tests need a Docker engine, and none could be had.\n!! Install docker.io (Debian) and run as root, or start dockerd, to run them.\n${'!'.repeat(72)}\n`);
}

const run = `guestbook-ct-${process.pid}`;
const label = `guestbook-container-test=${run}`;
const secret = () => randomBytes(12).toString('hex');
const passwords = { admin: secret(), app: secret(), metrics: secret(), sentinel: secret() };
const proxyVariables = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
// As long as one run of the memory benchmark: the load that once filled a frontend's heap within 50 s.
const LOAD_SECONDS = 60;

async function buildImage(tag: string, target?: string): Promise<void> {
  // Behind a TLS-intercepting proxy, npm in the build needs the machine's CAs: given as a secret, never stored.
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  await docker(
    [
      'build', '--quiet', '--tag', tag,
      ...(target ? ['--target', target] : []),
      ...(ca && existsSync(ca) ? ['--secret', `id=build_ca,src=${ca}`] : []),
      ...proxyVariables.filter((name) => process.env[name]).flatMap((name) => ['--build-arg', name]),
      repoRoot,
    ],
    { env: { ...process.env, DOCKER_BUILDKIT: '1' } },
  );
}

async function buildBaseImages(): Promise<void> {
  await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/docker/base-images.sh')], { maxBuffer: 16 * 1024 * 1024 });
}

/** Runs a manifest's exec probe in the (first) container of a pod, as the kubelet would. */
async function execProbe(objects: K8sObject[], workloadName: string, container: string): Promise<boolean> {
  const probe = workload(objects, workloadName).spec.template.spec?.containers[0]?.readinessProbe;
  return docker(['exec', container, ...(probe?.exec?.command ?? [])]).then(() => true, () => false);
}

/** The highest memory use of a container since it started (cgroup v1 or v2), or undefined where neither tells. */
async function peakMemory(container: string): Promise<number | undefined> {
  const read = (file: string) => docker(['exec', container, 'cat', file]).then(Number, () => NaN);
  const peak = [await read('/sys/fs/cgroup/memory/memory.max_usage_in_bytes'), await read('/sys/fs/cgroup/memory.peak')].find(Number.isFinite);
  return peak;
}

const mib = (bytes: number | undefined) => (bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const nonces = (html: string) => [...html.matchAll(/nonce="([^"]*)"/g)].map((match) => match[1]);

describe.skipIf(!engine)('the images and the manifests, on Docker', () => {
  let objects: K8sObject[];
  let filesDir: string;
  let images: { app: string; frontTier: string; queue: string; exporters: string };
  type Pod = 'a' | 'b';
  /** Where a visitor comes in: the front tier's port (the Service's target). */
  const site: Record<Pod, string> = { a: '', b: '' };
  /** The app's own port: the kubelet's probes, Prometheus. */
  const app: Record<Pod, string> = { a: '', b: '' };
  /** Where Prometheus scrapes each exporter, by pod and container. */
  const exporterUrl = async (pod: string, workloadName: string, container: string) => {
    const port = containers(workload(objects, workloadName)).find((entry) => entry.name === container)!.ports![0]!.containerPort;
    return `http://${await docker(['port', name(pod), `${port}/tcp`])}/metrics`;
  };
  const name = (suffix: string) => `${run}-${suffix}`;
  /** A container of a pod, by the pod's suffix and the container's name in the manifest. */
  const inPod = (suffix: string, container: string) => `${name(suffix)}-${container}`;
  const redis = (suffix: string) => inPod(suffix, 'redis');
  const frontend = (pod: Pod) => ({
    app: inPod(`frontend-${pod}`, 'frontend'),
    frontTier: inPod(`frontend-${pod}`, 'front-tier'),
    queue: inPod(`frontend-${pod}`, 'queue'),
    exporter: inPod(`frontend-${pod}`, 'front-tier-exporter'),
  });

  const start = async (workloadName: string, suffix: string, publish = false) => {
    const plan = podPlan(objects, workload(objects, workloadName), { name: name(suffix), alias: workloadName, network: run, filesDir, label, publish });
    for (const volume of plan.volumes) await docker(['volume', 'create', '--label', label, volume]);
    for (const container of plan.containers) await docker(container.args);
  };

  const healthy = (container: string) =>
    waitUntil(`${container} to be healthy (HEALTHCHECK)`, 60_000, async () =>
      (await docker(['inspect', '--format', '{{.State.Health.Status}}', container])) === 'healthy');

  const waitForFrontend = async (pod: Pod) => {
    await Promise.all([healthy(frontend(pod).app), healthy(frontend(pod).frontTier), healthy(frontend(pod).queue)]);
    const publicPort = containers(workload(objects, 'frontend')).find((entry) => entry.name === 'front-tier')!.ports![0]!.containerPort;
    site[pod] = `http://${await docker(['port', name(`frontend-${pod}`), `${publicPort}/tcp`])}`;
    app[pod] = `http://${await docker(['port', name(`frontend-${pod}`), '3000/tcp'])}`;
    await waitUntil(`frontend ${pod} to be ready`, 30_000, async () => (await fetch(`${app[pod]}/api/readyz`)).ok);
  };

  const waitForRedis = () =>
    Promise.all([
      waitUntil('redis-master to be ready', 30_000, () => execProbe(objects, 'redis-master', redis('redis-master'))),
      ...[1, 2].map((index) => waitUntil(`replica ${index} to be linked`, 30_000, () => execProbe(objects, 'redis-slave', redis(`redis-slave-${index}`)))),
    ]);

  beforeAll(async () => {
    let since = Date.now();
    await buildBaseImages();
    console.log(`base images ready in ${seconds(since)} s`);
    objects = renderManifests(passwords);
    const image = (name: string) => containers(workload(objects, 'frontend')).find((entry) => entry.name === name)!.image!;
    images = { app: image('frontend'), frontTier: image('front-tier'), queue: image('queue'), exporters: image('front-tier-exporter') };
    // One after the other, so that the front tier's build reuses the app's build stage: its static files are the app's.
    for (const [image, target] of [[images.app, undefined], [images.frontTier, 'front-tier'], [images.queue, 'queue'], [images.exporters, 'exporters']] as const) {
      since = Date.now();
      await buildImage(image, target);
      const size = Number(await docker(['image', 'inspect', '--format', '{{.Size}}', image]));
      console.log(`built ${image} in ${seconds(since)} s: ${(size / 1e6).toFixed(0)} MB`);
    }

    filesDir = mkdtempSync(path.join(tmpdir(), 'guestbook-ct-'));
    await docker(['network', 'create', '--label', label, run]);
    // Published too, so that the test scrapes the exporters beside them as Prometheus would.
    await start('redis-master', 'redis-master', true);
    await Promise.all([start('redis-slave', 'redis-slave-1', true), start('redis-slave', 'redis-slave-2', true)]);
    await waitForRedis();
    await Promise.all([start('frontend', 'frontend-a', true), start('frontend', 'frontend-b', true)]);
    await Promise.all([waitForFrontend('a'), waitForFrontend('b')]);
  });

  afterAll(async () => {
    if (!objects) return;
    const containers = (await docker(['ps', '--all', '--quiet', '--filter', `label=${label}`])).split('\n').filter(Boolean);
    if (containers.length) await docker(['rm', '--force', '--volumes', ...containers]);
    const volumes = (await docker(['volume', 'ls', '--quiet', '--filter', `label=${label}`])).split('\n').filter(Boolean);
    if (volumes.length) await docker(['volume', 'rm', ...volumes]);
    await docker(['network', 'rm', run]).catch(() => undefined);
    rmSync(filesDir, { recursive: true, force: true });
  });

  it('runs the containers of a frontend pod as non-root users, with only the runtime in each image', async () => {
    for (const name of [images.app, images.frontTier, images.queue]) expect(await docker(['image', 'inspect', '--format', '{{.Config.User}}', name]), name).toBe('1001:1001');
    expect(await docker(['exec', frontend('a').queue, 'id', '-u'])).toBe('1001');
    expect(await docker(['exec', frontend('a').app, 'id', '-u'])).toBe('1001');
    expect(await docker(['exec', redis('redis-master'), 'id', '-u'])).toBe('999');
    // nginx's master and workers, as the pod's user: nothing in the front tier's container runs as root.
    const owners = await docker(['exec', frontend('a').frontTier, 'sh', '-c', 'for s in /proc/[0-9]*/status; do sed -n "s/^Uid:\\t\\([0-9]*\\).*/\\1/p" "$s"; done']);
    expect(new Set(owners.split('\n'))).toEqual(new Set(['1001']));
    // The build's tools stay in the build stages.
    await expect(docker(['exec', frontend('a').app, 'test', '-e', '/app/node_modules/typescript'])).rejects.toThrow();
    await expect(docker(['exec', frontend('a').app, 'test', '-d', '/app/.next/static'])).resolves.toBe('');
    await expect(docker(['exec', frontend('a').frontTier, 'test', '-e', '/usr/bin/node'])).rejects.toThrow();
  });

  it('runs the exporters beside Redis and the front tier, each exporting its server’s figures, as non-root users', async () => {
    const scrape = async (pod: string, workloadName: string, container: string) => (await fetch(await exporterUrl(pod, workloadName, container))).text();
    const master = await scrape('redis-master', 'redis-master', 'exporter');
    expect(master).toMatch(/^redis_up 1$/m);
    expect(master).toMatch(/^redis_instance_info\{[^}]*role="master"[^}]*\} 1$/m);
    expect(master).toMatch(/^redis_connected_slaves 2$/m);
    for (const replica of ['redis-slave-1', 'redis-slave-2']) {
      const figures = await scrape(replica, 'redis-slave', 'exporter');
      expect(figures).toMatch(/^redis_instance_info\{[^}]*role="slave"[^}]*\} 1$/m);
      expect(figures).toMatch(/^redis_master_link_up\{[^}]*\} 1$/m);
    }
    for (const pod of ['a', 'b'] as const) {
      const figures = await scrape(`frontend-${pod}`, 'frontend', 'front-tier-exporter');
      expect(figures).toMatch(/^nginx_up 1$/m);
      expect(figures).toMatch(/^nginx_connections_accepted [1-9]/m);
      // The admission queue's own exporter (HAProxy's), on the pod's queue-metrics port.
      const queue = await scrape(`frontend-${pod}`, 'frontend', 'queue');
      expect(queue).toMatch(/^haproxy_backend_current_queue\{proxy="next"\} \d+$/m);
      expect(queue).toMatch(/^haproxy_server_status\{proxy="next",server="next0",state="UP"\} 1$/m);
    }
    expect(await docker(['exec', inPod('redis-master', 'exporter'), 'id', '-u'])).toBe('999');
    expect(await docker(['exec', frontend('a').exporter, 'id', '-u'])).toBe('1001');
    const peaks = [];
    for (const [workloadName, container, id] of [['redis-master', 'exporter', inPod('redis-master', 'exporter')], ['frontend', 'front-tier-exporter', frontend('a').exporter]] as const) {
      const limit = memoryBytes(String(containers(workload(objects, workloadName)).find((entry) => entry.name === container)!.resources!.limits!.memory));
      const peak = await peakMemory(id);
      peaks.push(`${workloadName}'s ${container} ${mib(peak)} of ${mib(limit)}`);
      expect(peak ?? 0).toBeLessThan(limit);
    }
    console.log(`exporters' peak memory after being scraped: ${peaks.join('; ')}`);
    // The exporters' Redis user reads INFO and nothing else: no key, and never a password.
    const asMetrics = ['exec', redis('redis-master'), 'redis-cli', '--no-auth-warning', '--user', METRICS_USER, '--pass', passwords.metrics];
    expect(await docker([...asMetrics, 'INFO', 'replication'])).toContain('role:master');
    expect(await docker([...asMetrics, 'XRANGE', 'guestbook:entries', '-', '+'])).toMatch(/NOPERM/);
    expect(await docker([...asMetrics, 'CONFIG', 'GET', 'requirepass'])).toMatch(/NOPERM/);
  });

  it("tells Prometheus its own container's memory limit, which only the app knows", async () => {
    const limit = memoryBytes(String(containers(workload(objects, 'frontend')).find((entry) => entry.name === 'frontend')!.resources!.limits!.memory));
    expect(await (await fetch(`${app.a}/api/metrics`)).text()).toMatch(new RegExp(`^guestbook_memory_limit_bytes ${limit}$`, 'm'));
  });

  it("answers the app's probes on its own port and the front tier's on the public one", async () => {
    for (const pod of ['a', 'b'] as const) {
      expect((await fetch(`${app[pod]}/api/healthz`)).status).toBe(200);
      const ready = await fetch(`${app[pod]}/api/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ master: { status: 'up' }, replica: { status: 'up' } });
      expect(await (await fetch(`${site[pod]}/_front-tier/healthz`)).text()).toBe('ok\n');
    }
  });

  it('keeps the metrics off the public port; Prometheus gets them on the app’s', async () => {
    expect((await fetch(`${site.a}/api/metrics`)).status).toBe(404);
    const metrics = await fetch(`${app.a}/api/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP /m);
  });

  it('shows an entry posted through one pod through the other, API and page', async () => {
    const message = `Hello from a container 👋 你好 ${run}`;
    const posted = await fetch(`${site.a}/api/guestbook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Container test', message }),
    });
    expect(posted.status, await posted.clone().text()).toBe(201);
    const entry = (await posted.json()) as { id: string; message: string };
    expect(entry.message).toBe(message);

    await waitUntil('the entry to reach the replicas, past the front tier’s 1 s cache', 10_000, async () => {
      const page = (await (await fetch(`${site.b}/api/guestbook?limit=5`)).json()) as { entries: { id: string }[] };
      return page.entries.some((candidate) => candidate.id === entry.id);
    });
    expect(await (await fetch(`${site.b}/api/guestbook/${entry.id}`)).json()).toEqual(entry);
    await waitUntil('the page to show it', 5_000, async () => (await (await fetch(`${site.b}/`)).text()).includes('Hello from a container 👋 你好'));
  });

  it('gives every page through the front tier a fresh nonce, the same in its header and its HTML', async () => {
    const pages = await Promise.all([0, 1, 2].map(() => fetch(`${site.a}/`)));
    const seen = new Set<string>();
    for (const page of pages) {
      expect(page.status).toBe(200);
      const header = /'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1];
      const inHtml = nonces(await page.text());
      expect(header).toMatch(/^[0-9a-f]{32}$/);
      expect(inHtml.length).toBeGreaterThan(0);
      expect(new Set(inHtml)).toEqual(new Set([header]));
      seen.add(header!);
    }
    expect(seen.size, 'no two responses share a nonce, cached page or not').toBe(pages.length);
  });

  it("serves the app's static files from the front tier's image, immutable", async () => {
    const html = await (await fetch(`${site.b}/`)).text();
    const scripts = [...html.matchAll(/src="(\/_next\/static\/[^"]+\.js)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const response = await fetch(`${site.b}${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(response.status, script).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      // From nginx's disk, not forwarded to the app (which would add its X-Cache status).
      expect(response.headers.get('x-cache')).toBeNull();
    }
  });

  it("refuses the app's Redis user anything but its own commands", async () => {
    const asApp = ['exec', redis('redis-master'), 'redis-cli', '--no-auth-warning', '--user', APP_USER, '--pass', passwords.app];
    expect(await docker([...asApp, 'PING'])).toBe('PONG');
    expect(await docker([...asApp, 'FLUSHALL'])).toMatch(/NOPERM/);
    expect(await docker([...asApp, 'CONFIG', 'GET', 'requirepass'])).toMatch(/NOPERM/);
  });

  it('keeps every container of a frontend pod alive inside its memory limit under steady load on the page and the list, through the front tier', { timeout: 3 * LOAD_SECONDS * 1000 }, async () => {
    const pod = frontend('a');
    const limits = Object.fromEntries(containers(workload(objects, 'frontend')).map((entry) => [entry.name, memoryBytes(String(entry.resources!.limits!.memory))]));
    const inPodNamed = { frontend: pod.app, 'front-tier': pod.frontTier, queue: pod.queue, 'front-tier-exporter': pod.exporter };
    for (const [container, id] of Object.entries(inPodNamed)) {
      expect(Number(await docker(['inspect', '--format', '{{.HostConfig.Memory}}', id])), `the memory limit of ${container} in the manifest`).toBe(limits[container]);
    }
    // Two dozen short plain entries: the content that exhausted the heap fastest.
    await docker(['exec', redis('redis-master'), 'sh', '-c',
      'for i in $(seq 1 24); do redis-cli XADD guestbook:entries "*" name "guest $i" message "hello number $i" >/dev/null; done']);
    const target = { origins: [site.a], pids: [] };
    const page: LoadRequest[] = [{ path: '/', headers: { 'accept-encoding': 'gzip' } }, { path: '/' }];
    const loads = await Promise.all([
      runLoad(target, page, { seconds: LOAD_SECONDS, warmupSeconds: 0, connections: 50 }),
      runLoad(target, [{ path: '/api/guestbook' }], { seconds: LOAD_SECONDS, warmupSeconds: 0, connections: 20 }),
    ]);
    const report: string[] = [];
    for (const [container, id] of Object.entries(inPodNamed)) {
      const state = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', id])) as { Running: boolean; OOMKilled: boolean };
      const restarts = await docker(['inspect', '--format', '{{.RestartCount}}', id]);
      const usage = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', id]);
      report.push(`${container} now ${usage}, peak ${mib(await peakMemory(id))} of ${mib(limits[container])}`);
      expect(state, container).toMatchObject({ Running: true, OOMKilled: false });
      expect(restarts, container).toBe('0');
    }
    console.log(`under load for ${LOAD_SECONDS} s through the front tier: page ${loads[0].requests} and list ${loads[1].requests} requests; ${report.join('; ')}`);
    for (const load of loads) {
      expect(load.requests).toBeGreaterThan(0);
      expect({ errors: load.errors, non2xx: load.non2xx, statuses: Object.keys(load.statuses) }).toEqual({ errors: 0, non2xx: 0, statuses: ['200'] });
    }
  });

  it('keeps every entry when the master restarts: the append-only file is on its volume', async () => {
    const posted = await fetch(`${site.a}/api/guestbook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Before restart', message: 'still here after the master restarts' }),
    });
    const { id } = (await posted.json()) as { id: string };
    await docker(['restart', '--time', '10', redis('redis-master')]);
    // The replicas resynchronise from the restarted master: an empty master would empty them too.
    await waitForRedis();
    await waitUntil('the frontends to be ready again', 30_000, async () => (await fetch(`${app.b}/api/readyz`)).ok);
    expect((await fetch(`${site.b}/api/guestbook/${id}`)).status).toBe(200);
  });

  it('stops a pod gracefully: the front tier stops taking requests but finishes a live stream, which ends when the app drains; the queue stops between them; all exit 0', async () => {
    const pod = frontend('b');
    expect(await docker(['image', 'inspect', '--format', '{{.Config.StopSignal}}', images.frontTier])).toBe('SIGQUIT');
    expect(await docker(['image', 'inspect', '--format', '{{.Config.StopSignal}}', images.queue])).toBe('SIGUSR1');
    const stream = await fetch(`${site.b}/api/guestbook/events`, { headers: { Accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    // Until the end of the stream: whatever else arrives, then a clean end (done), or the error that cut it.
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })().catch((error: unknown) => `cut: ${String(error)}`);

    // The kubelet's order (k8s/base/frontend.yaml): the front tier's preStop is shorter, so it gets its
    // stop signal first; the app gets SIGTERM while the front tier still waits for the stream.
    const since = Date.now();
    const frontTierStopped = docker(['stop', '--time', '30', pod.frontTier]).then(() => Date.now() - since);
    await waitUntil('the front tier to stop listening', 5_000, async () => fetch(`${site.b}/_front-tier/healthz`).then(() => false, () => true));
    expect(JSON.parse(await docker(['inspect', '--format', '{{json .State.Running}}', pod.frontTier])), 'nginx waits for the stream in flight').toBe(true);
    // Then the queue (its preStop is a second longer), which has nothing in flight: a stream does not pass through it.
    const queueSince = Date.now();
    await docker(['stop', '--time', '30', pod.queue]);
    const queueElapsed = Date.now() - queueSince;
    const appSince = Date.now();
    await docker(['stop', '--time', '30', pod.app]);
    const appElapsed = Date.now() - appSince;
    const frontTierElapsed = await frontTierStopped;
    expect(await ended, 'the stream ends cleanly through the front tier when the app drains').toBe('ended');
    const exitCode = (container: string) => docker(['inspect', '--format', '{{.State.ExitCode}}', container]);
    const exitCodes = { app: await exitCode(pod.app), frontTier: await exitCode(pod.frontTier), queue: await exitCode(pod.queue) };
    console.log(
      `pod stopped: the app in ${(appElapsed / 1000).toFixed(1)} s after its SIGTERM, the queue in ${(queueElapsed / 1000).toFixed(1)} s after its SIGUSR1, ` +
        `the front tier in ${(frontTierElapsed / 1000).toFixed(1)} s after its SIGQUIT; exit codes ${JSON.stringify(exitCodes)}`,
    );
    // 0 for all: the app drains and exits by itself (143 would be Next's own handler, 137 a kill after the timeout).
    expect(exitCodes).toEqual({ app: '0', frontTier: '0', queue: '0' });
    expect(queueElapsed).toBeLessThan(5_000);
    expect(appElapsed).toBeLessThan(10_000);
    expect(frontTierElapsed).toBeLessThan(20_000);
  });
});
