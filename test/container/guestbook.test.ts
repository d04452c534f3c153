import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, type LoadRequest } from '@/bench/load';
import { memoryBytes } from '@/bench/manifest';
import { APP_USER } from '@/scripts/redis-acl';
import { containers, renderManifests, workload, type K8sObject } from '../manifests/render';
import { docker, ensureEngine, waitUntil } from './docker';
import { dockerRunArgs } from './pod-to-docker';

/**
 * The real image and the real manifests on a real Docker engine: a Redis master, two replicas and two
 * frontends on one network, found by the Service names redis-master and redis-slave, each started
 * the way its manifest in k8s/ starts it.
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
const passwords = { admin: secret(), app: secret(), sentinel: secret() };
const proxyVariables = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
// As long as one run of the memory benchmark: the load that once filled a frontend's heap within 50 s.
const LOAD_SECONDS = 60;

async function buildImage(tag: string): Promise<void> {
  // Behind a TLS-intercepting proxy, npm in the build needs the machine's CAs: given as a secret, never stored.
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  await docker(
    [
      'build', '--quiet', '--tag', tag,
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

/** Runs a manifest's exec probe in the container, as the kubelet would. */
async function execProbe(objects: K8sObject[], workloadName: string, container: string): Promise<boolean> {
  const probe = workload(objects, workloadName).spec.template.spec?.containers[0]?.readinessProbe;
  return docker(['exec', container, ...(probe?.exec?.command ?? [])]).then(() => true, () => false);
}

const frontendUrl = async (container: string) => `http://${await docker(['port', container, '3000/tcp'])}`;

describe.skipIf(!engine)('the image and the manifests, on Docker', () => {
  let objects: K8sObject[];
  let filesDir: string;
  let image: string;
  const urls: Record<'a' | 'b', string> = { a: '', b: '' };
  const name = (suffix: string) => `${run}-${suffix}`;

  const start = (workloadName: string, suffix: string, publish = false) =>
    docker(dockerRunArgs(objects, workload(objects, workloadName), { name: name(suffix), alias: workloadName, network: run, filesDir, label, publish }));

  const waitForFrontend = async (suffix: 'a' | 'b') => {
    await waitUntil(`frontend ${suffix} to be healthy (HEALTHCHECK)`, 60_000, async () =>
      (await docker(['inspect', '--format', '{{.State.Health.Status}}', name(`frontend-${suffix}`)])) === 'healthy');
    urls[suffix] = await frontendUrl(name(`frontend-${suffix}`));
    await waitUntil(`frontend ${suffix} to be ready`, 30_000, async () => (await fetch(`${urls[suffix]}/api/readyz`)).ok);
  };

  const waitForRedis = () =>
    Promise.all([
      waitUntil('redis-master to be ready', 30_000, () => execProbe(objects, 'redis-master', name('redis-master'))),
      ...[1, 2].map((index) => waitUntil(`replica ${index} to be linked`, 30_000, () => execProbe(objects, 'redis-slave', name(`redis-slave-${index}`)))),
    ]);

  beforeAll(async () => {
    let since = Date.now();
    await buildBaseImages();
    console.log(`base images ready in ${seconds(since)} s`);
    objects = renderManifests(passwords);
    image = workload(objects, 'frontend').spec.template.spec!.containers[0]!.image!;
    since = Date.now();
    await buildImage(image);
    const size = Number(await docker(['image', 'inspect', '--format', '{{.Size}}', image]));
    console.log(`built ${image} in ${seconds(since)} s: ${(size / 1e6).toFixed(0)} MB`);

    filesDir = mkdtempSync(path.join(tmpdir(), 'guestbook-ct-'));
    await docker(['network', 'create', '--label', label, run]);
    await start('redis-master', 'redis-master');
    await Promise.all([start('redis-slave', 'redis-slave-1'), start('redis-slave', 'redis-slave-2')]);
    await waitForRedis();
    await Promise.all([start('frontend', 'frontend-a', true), start('frontend', 'frontend-b', true)]);
    await Promise.all([waitForFrontend('a'), waitForFrontend('b')]);
  });

  afterAll(async () => {
    if (!objects) return;
    const containers = (await docker(['ps', '--all', '--quiet', '--filter', `label=${label}`])).split('\n').filter(Boolean);
    if (containers.length) await docker(['rm', '--force', '--volumes', ...containers]);
    await docker(['network', 'rm', run]).catch(() => undefined);
    await docker(['volume', 'rm', `${name('redis-master')}-data`]).catch(() => undefined);
    rmSync(filesDir, { recursive: true, force: true });
  });

  it('runs the frontend as a non-root user, with only the runtime in the image', async () => {
    expect(await docker(['image', 'inspect', '--format', '{{.Config.User}}', image])).toBe('1001:1001');
    expect(await docker(['exec', name('frontend-a'), 'id', '-u'])).toBe('1001');
    expect(await docker(['exec', name('redis-master'), 'id', '-u'])).toBe('999');
    // The build's tools stay in the build stages.
    await expect(docker(['exec', name('frontend-a'), 'test', '-e', '/app/node_modules/typescript'])).rejects.toThrow();
    await expect(docker(['exec', name('frontend-a'), 'test', '-d', '/app/.next/static'])).resolves.toBe('');
  });

  it('answers the probes of the manifests on both frontends: master and replica up', async () => {
    for (const url of Object.values(urls)) {
      expect((await fetch(`${url}/api/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/api/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ master: { status: 'up' }, replica: { status: 'up' } });
    }
  });

  it('shows an entry posted through one frontend through the other, API and page', async () => {
    const message = `Hello from a container 👋 你好 ${run}`;
    const posted = await fetch(`${urls.a}/api/guestbook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Container test', message }),
    });
    expect(posted.status, await posted.clone().text()).toBe(201);
    const entry = (await posted.json()) as { id: string; message: string };
    expect(entry.message).toBe(message);

    await waitUntil('the entry to reach the replicas', 10_000, async () => {
      const page = (await (await fetch(`${urls.b}/api/guestbook?limit=5`)).json()) as { entries: { id: string }[] };
      return page.entries.some((candidate) => candidate.id === entry.id);
    });
    expect(await (await fetch(`${urls.b}/api/guestbook/${entry.id}`)).json()).toEqual(entry);
    const html = await (await fetch(`${urls.b}/`)).text();
    expect(html).toContain('Hello from a container 👋 你好');
  });

  it("refuses the app's Redis user anything but its own commands", async () => {
    const asApp = ['exec', name('redis-master'), 'redis-cli', '--no-auth-warning', '--user', APP_USER, '--pass', passwords.app];
    expect(await docker([...asApp, 'PING'])).toBe('PONG');
    expect(await docker([...asApp, 'FLUSHALL'])).toMatch(/NOPERM/);
    expect(await docker([...asApp, 'CONFIG', 'GET', 'requirepass'])).toMatch(/NOPERM/);
  });

  it('keeps a frontend alive inside its memory limit under steady load on the page and the list', { timeout: 3 * LOAD_SECONDS * 1000 }, async () => {
    const frontend = name('frontend-a');
    const limit = memoryBytes(String(containers(workload(objects, 'frontend'))[0]!.resources!.limits!.memory));
    expect(Number(await docker(['inspect', '--format', '{{.HostConfig.Memory}}', frontend])), 'the memory limit of the manifest').toBe(limit);
    // Two dozen short plain entries: the content that exhausted the heap fastest.
    await docker(['exec', name('redis-master'), 'sh', '-c',
      'for i in $(seq 1 24); do redis-cli XADD guestbook:entries "*" name "guest $i" message "hello number $i" >/dev/null; done']);
    const target = { origins: [urls.a], pids: [] };
    const page: LoadRequest[] = [{ path: '/', headers: { 'accept-encoding': 'gzip' } }, { path: '/' }];
    const loads = await Promise.all([
      runLoad(target, page, { seconds: LOAD_SECONDS, warmupSeconds: 0, connections: 50 }),
      runLoad(target, [{ path: '/api/guestbook' }], { seconds: LOAD_SECONDS, warmupSeconds: 0, connections: 20 }),
    ]);
    const state = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', frontend])) as { Running: boolean; OOMKilled: boolean };
    const restarts = await docker(['inspect', '--format', '{{.RestartCount}}', frontend]);
    const usage = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', frontend]);
    console.log(`under load for ${LOAD_SECONDS} s: page ${loads[0].requests} and list ${loads[1].requests} requests; memory now ${usage}`);
    expect(state).toMatchObject({ Running: true, OOMKilled: false });
    expect(restarts).toBe('0');
    for (const load of loads) {
      expect(load.requests).toBeGreaterThan(0);
      expect({ errors: load.errors, non2xx: load.non2xx, statuses: Object.keys(load.statuses) }).toEqual({ errors: 0, non2xx: 0, statuses: ['200'] });
    }
  });

  it('keeps every entry when the master restarts: the append-only file is on its volume', async () => {
    const posted = await fetch(`${urls.a}/api/guestbook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Before restart', message: 'still here after the master restarts' }),
    });
    const { id } = (await posted.json()) as { id: string };
    await docker(['restart', '--time', '10', name('redis-master')]);
    // The replicas resynchronise from the restarted master: an empty master would empty them too.
    await waitForRedis();
    await waitUntil('the frontends to be ready again', 30_000, async () => (await fetch(`${urls.b}/api/readyz`)).ok);
    expect((await fetch(`${urls.b}/api/guestbook/${id}`)).status).toBe(200);
  });

  it('ends a frontend cleanly on SIGTERM (docker stop), well within its grace period', async () => {
    const since = Date.now();
    await docker(['stop', '--time', '30', name('frontend-b')]);
    const elapsed = Date.now() - since;
    const exitCode = await docker(['inspect', '--format', '{{.State.ExitCode}}', name('frontend-b')]);
    console.log(`frontend stopped in ${(elapsed / 1000).toFixed(1)} s with exit code ${exitCode}`);
    // 143 is Next's own SIGTERM handler (it exits with the signal's code); 137 a kill after the timeout.
    expect(exitCode, 'the app handles SIGTERM itself: drains, closes Redis, exits 0').toBe('0');
    expect(elapsed).toBeLessThan(10_000);
  });
});
