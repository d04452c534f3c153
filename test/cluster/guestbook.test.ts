import { chromium, type Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions } from '@/e2e/chromium';
import { GuestbookPage } from '@/e2e/pages/guestbook-page';
import { randomUuid } from '@/lib/uuid';
import { find, type ServiceSpec } from '../manifests/render';
import { publicService } from './deploy';
import { waitUntil } from '../wait';
import { isReady } from './kube';
import { cluster, policiesEnforced, policyViolations, Session, summary } from './session';
import { hardeningAndLimits } from './shared-steps';
import { allEntries, send, sign, Traffic } from './traffic';

/**
 * The base, `kubectl apply -k k8s/`, on a real cluster: the seed's tutorial step by step, then what
 * the seed could only warn about — pods deleted and frontends rolled while visitors read, write and
 * watch live, a new build rolled out under an open page — and the hardening as the kubelet enforces it.
 */

const session = new Session('base', '.');
/** While a step disturbs the cluster: readers, writers and live streams through the NodePort. */
const LOAD = { readers: 4, writers: 2, streams: 3 };
/** The seed's Services: its names and ports, which ours keep. */
const SEED_SERVICES = { 'redis-master': 6379, 'redis-slave': 6379, frontend: 80 };

describe.skipIf(!cluster.available)('the base (k8s/) on a real cluster', () => {
  let browser: Browser;

  beforeAll(async () => {
    await session.setUp();
    browser = await chromium.launch(chromiumLaunchOptions);
  });

  afterAll(async () => {
    await browser?.close();
    await session.tearDown();
  });

  it("the seed's tutorial: three tiers Running and Ready under the seed's Service names and ports", async () => {
    await session.step("seed: kubectl get pods,services -l …", async () => {
      const listing = await session.namespace.run(['get', 'pods,services', '--selector', 'app.kubernetes.io/part-of=guestbook', '--output', 'wide']);
      console.log(`[cluster] kubectl get pods,services -l app.kubernetes.io/part-of=guestbook\n${listing}`);
      const services = await session.namespace.json<{ items: { metadata: { name: string }; spec: ServiceSpec }[] }>(['get', 'services', '--selector', 'app.kubernetes.io/part-of=guestbook']);
      for (const [name, port] of Object.entries(SEED_SERVICES)) {
        expect(services.items.find((service) => service.metadata.name === name)?.spec.ports.map((entry) => entry.port), name).toContain(port);
      }
      const counts = { master: 1, replica: 2, frontend: 3 } as const;
      for (const [tier, count] of Object.entries(counts) as [keyof typeof counts, number][]) {
        const pods = await session.pods(tier);
        expect(pods.map((pod) => `${pod.status.phase} ${isReady(pod)}`), tier).toEqual(Array(count).fill('Running true'));
      }
      return { note: 'master 1, replicas 2, frontends 3' };
    });
  });

  it('the replicas are linked to the master (INFO replication through kubectl exec, as the seed did with redis-cli)', async () => {
    await session.step('seed: INFO replication', async () => {
      const [master] = await session.pods('master');
      const replication = await session.redis(master!.metadata.name, 'info', 'replication');
      expect(replication).toMatch(/^role:master/m);
      expect(replication).toMatch(/^connected_slaves:2/m);
      expect(replication.match(/^slave\d+:.*state=online/gm)).toHaveLength(2);
      for (const replica of await session.pods('replica')) {
        expect(await session.info(replica.metadata.name, 'replication', 'master_link_status')).toBe('up');
      }
      return { note: 'connected_slaves:2, both online' };
    });
  });

  it('writes land on the master, reads on the replicas', async () => {
    await session.step('seed: writes on the master, reads on replicas', async () => {
      const [master] = await session.pods('master');
      const replicas = await session.pods('replica');
      const calls = async (pod: string, command: string) =>
        Number(/calls=(\d+)/.exec((await session.redis(pod, 'info', 'commandstats')).split('\n').find((line) => line.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 0);
      const readsOn = async (pods: string[]) => (await Promise.all(pods.map((pod) => calls(pod, 'xrevrange')))).reduce((a, b) => a + b, 0);
      const replicaNames = replicas.map((pod) => pod.metadata.name);
      const before = { xadd: await calls(master!.metadata.name, 'xadd'), masterReads: await readsOn([master!.metadata.name]), replicaReads: await readsOn(replicaNames) };
      const WRITES = 5;
      const READS = 20;
      for (let i = 0; i < WRITES; i++) expect((await sign(session.origin, 'seed', `written ${i} ${randomUuid()}`)).answer.status).toBe(201);
      for (let i = 0; i < READS; i++) expect((await send(session.origin, `/api/guestbook?limit=5&fresh=${randomUuid()}`)).status).toBe(200);
      const xadds = (await calls(master!.metadata.name, 'xadd')) - before.xadd;
      const replicaReads = (await readsOn(replicaNames)) - before.replicaReads;
      const masterReads = (await readsOn([master!.metadata.name])) - before.masterReads;
      expect(xadds).toBeGreaterThanOrEqual(WRITES);
      expect(replicaReads).toBeGreaterThanOrEqual(READS);
      expect(masterReads).toBeLessThan(READS / 2);
      return { requests: WRITES + READS, note: `XADD on the master +${xadds}; XREVRANGE on the replicas +${replicaReads}, on the master +${masterReads}` };
    });
  });

  it("the frontends find Redis by the Services' DNS names", async () => {
    await session.step('discovery by DNS', async () => {
      const [frontend] = await session.pods('frontend');
      const env = await session.namespace.exec(frontend!.metadata.name, 'frontend', ['node', '-e', 'console.log(process.env.REDIS_MASTER_URL, process.env.REDIS_REPLICA_URL)']);
      expect(env.trim()).toBe('redis://redis-master:6379 redis://redis-slave:6379');
      for (const service of ['redis-master', 'redis-slave']) {
        const clusterIp = (await session.namespace.run(['get', 'service', service, '--output', 'jsonpath={.spec.clusterIP}'])).trim();
        const resolved = await session.namespace.exec(frontend!.metadata.name, 'frontend', ['node', '-e', `require('dns').lookup('${service}',(e,a)=>console.log(e?e.code:a))`]);
        expect(resolved.trim(), service).toBe(clusterIp);
      }
      return { note: 'redis-master, redis-slave resolve to their ClusterIPs in a frontend' };
    });
  });

  it('through the NodePort from the host: sign and read over the API', async () => {
    await session.step('NodePort: sign and read over the API', async () => {
      const message = `Hello from the host ${randomUuid()}`;
      const { answer, entry } = await sign(session.origin, 'host', message);
      expect(answer.status).toBe(201);
      const one = await send(session.origin, `/api/guestbook/${entry!.id}`);
      expect(one.status).toBe(200);
      expect(JSON.parse(one.body)).toEqual(entry);
      expect((await allEntries(session.origin)).map((item) => item.id)).toContain(entry!.id);
      return { requests: 3, note: session.origin };
    });
  });

  it('in Chromium through the NodePort: sign and see the entry; pages served by the other pods see it live', async () => {
    await session.step('Chromium: sign, see it, live on other pods', async () => {
      const target = (find(session.objects, 'Service', publicService(session.objects)).spec as unknown as ServiceSpec).ports[0]!.targetPort;
      const frontends = await session.pods('frontend');
      const port = frontends[0]!.spec.containers.flatMap((container) => container.ports ?? []).find((candidate) => candidate.name === target || candidate.containerPort === target)!.containerPort;
      const context = await browser.newContext();
      try {
        // Every frontend pod directly, by its own address: whichever pod the NodePort sent the signer to,
        // the others are among these.
        const watchers = await Promise.all(
          frontends.map(async (pod) => {
            const page = await context.newPage();
            await page.goto(`http://${pod.status.podIP}:${port}/`);
            await new GuestbookPage(page).hydrated();
            return page;
          }),
        );
        const signer = new GuestbookPage(await context.newPage());
        await signer.page.goto(session.origin);
        await signer.hydrated();
        const message = `Signed in Chromium ${randomUuid().slice(0, 8)}`;
        await signer.sign('Chromium', message);
        await signer.entry(message).waitFor({ timeout: 10_000 });
        await Promise.all(watchers.map((page) => new GuestbookPage(page).entry(message).waitFor({ timeout: 10_000 })));
        return { note: `signed through the NodePort, seen live on all ${watchers.length} pods` };
      } finally {
        await context.close();
      }
    });
  });

  it('a rolling restart of the frontends under load: no request fails, no acknowledged entry is lost, live streams miss none', async () => {
    await session.step('rolling restart of the frontends under load', async () => {
      const traffic = await new Traffic(session.origin, LOAD).start('rolling restart');
      await session.namespace.run(['rollout', 'restart', 'deployment/frontend']);
      await session.namespace.rolloutStatus('deployment', 'frontend');
      const tally = await traffic.stop();
      const lost = await session.lostOf(tally);
      expect(tally.failures).toEqual([]);
      expect(lost).toEqual([]);
      expect(tally.missedByStreams).toEqual([]);
      expect(tally.acknowledged.length).toBeGreaterThan(0);
      return summary(tally, `${tally.streamReconnects} stream reconnects, 0 entries missed`);
    });
  });

  // The pods that hold no data: any of them may go, and a visitor must not notice.
  for (const [tier, count] of [['frontend', 3], ['replica', 2]] as const) {
    it(`a ${tier} pod deleted under load: no request fails`, async () => {
      await session.step(`a ${tier} pod deleted under load`, async () => {
        const traffic = await new Traffic(session.origin, LOAD).start(`${tier} deleted`);
        const [victim] = await session.pods(tier);
        await session.namespace.run(['delete', 'pod', victim!.metadata.name, '--wait=true']);
        await session.tierReady(tier, count);
        const tally = await traffic.stop();
        expect(tally.failures).toEqual([]);
        expect(await session.lostOf(tally)).toEqual([]);
        expect(tally.missedByStreams).toEqual([]);
        return summary(tally);
      });
    });
  }

  it('the master pod deleted under load: reads never fail, writes only 503 with Retry-After until it is back, nothing acknowledged is lost', async () => {
    await session.step('the master pod deleted under load', async () => {
      const traffic = await new Traffic(session.origin, { ...LOAD, writesMayWait: true }).start('master deleted');
      const [master] = await session.pods('master');
      const deleted = Date.now();
      await session.namespace.run(['delete', 'pod', master!.metadata.name, '--wait=true']);
      await session.tierReady('master', 1);
      // Writes are back once one is acknowledged again.
      const back = await waitForWrite(session.origin);
      const tally = await traffic.stop();
      const lost = await session.lostOf(tally);
      expect(tally.failures).toEqual([]);
      expect(lost).toEqual([]);
      expect(tally.missedByStreams).toEqual([]);
      return summary(tally, `writes back ${((back - deleted) / 1000).toFixed(1)} s after the delete`);
    });
  });

  it('a rollout of a new build while a visitor has the old page open: its scripts, language switch and form keep working', async () => {
    await session.step('new build rolled out under an open old page', async () => {
      const context = await browser.newContext({ locale: 'en-US' });
      const errors: string[] = [];
      try {
        const page = await context.newPage();
        page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
        page.on('response', (response) => response.status() >= 500 && errors.push(`${response.status()} ${response.url()}`));
        const guestbook = new GuestbookPage(page);
        await page.goto(session.origin);
        await guestbook.hydrated();
        const oldBuild = buildOf(await page.content());
        expect(oldBuild, "the page's scripts name its build (deploymentId)").toBeTruthy();

        const rolled = await session.deployment.setTags(cluster.nextTags);
        await session.deployment.rolledOut(rolled);
        const newBuild = buildOf(await fetchPage(session.origin));
        expect(newBuild).toBeTruthy();
        expect(newBuild).not.toBe(oldBuild);

        // The old page, never reloaded, against servers of the new build only.
        const first = `Old page, new servers ${randomUuid().slice(0, 8)}`;
        await guestbook.sign('Old page', first);
        await guestbook.entry(first).waitFor({ timeout: 10_000 });
        await page.getByRole('button', { name: '中文' }).click();
        await page.getByRole('heading', { level: 1, name: '留言簿' }).waitFor({ timeout: 15_000 });
        expect(buildOf(await page.content()), 'the switch loaded the new build').toBe(newBuild);
        const chinese = new GuestbookPage(page, { form: '签名留言', name: '姓名', message: '留言', sign: '签名', list: '留言，最新的在前', older: '查看更早的留言' });
        await chinese.hydrated();
        const second = `新版本 ${randomUuid().slice(0, 8)}`;
        await chinese.sign('旧页面', second);
        await chinese.entry(second).waitFor({ timeout: 10_000 });
        expect(await page.getByText(/Application error|client-side exception/).count()).toBe(0);
        expect(errors).toEqual([]);
        return { note: `${oldBuild} → ${newBuild}: sign, language switch (server action), sign again` };
      } finally {
        await context.close();
      }
    });
  });

  it('discovery by the injected variables (GET_HOSTS_FROM=env, the seed\'s way) in a variant', async () => {
    await session.step('discovery by env (GET_HOSTS_FROM=env)', async () => {
      const rolled = await session.deployment.setSettings({ GET_HOSTS_FROM: 'env', REDIS_MASTER_URL: '', REDIS_REPLICA_URL: '' });
      await session.deployment.rolledOut(rolled);
      const [frontend] = await session.pods('frontend');
      const env = JSON.parse(
        await session.namespace.exec(frontend!.metadata.name, 'frontend', ['node', '-e', 'const e=process.env;console.log(JSON.stringify([e.GET_HOSTS_FROM,e.REDIS_MASTER_URL,e.REDIS_MASTER_SERVICE_HOST,e.REDIS_SLAVE_SERVICE_HOST]))']),
      ) as string[];
      const clusterIp = async (service: string) => (await session.namespace.run(['get', 'service', service, '--output', 'jsonpath={.spec.clusterIP}'])).trim();
      expect(env).toEqual(['env', '', await clusterIp('redis-master'), await clusterIp('redis-slave')]);
      const message = `Found by env ${randomUuid()}`;
      const { answer, entry } = await sign(session.origin, 'env', message);
      expect(answer.status).toBe(201);
      expect((await allEntries(session.origin)).map((item) => item.id)).toContain(entry!.id);
      return { requests: 2, note: 'REDIS_MASTER_SERVICE_HOST, REDIS_SLAVE_SERVICE_HOST' };
    });
  });

  hardeningAndLimits(session);

  it('the NetworkPolicies admit only the tiers that need each port (evaluated; enforced only where the network plugin does)', async () => {
    await session.step('NetworkPolicies: who may reach what', async () => {
      const target = String((find(session.objects, 'Service', publicService(session.objects)).spec as unknown as ServiceSpec).ports[0]!.targetPort);
      const expected = (source: string, tier: string, port: string) =>
        (tier === 'frontend' && port === target) ||
        (tier === 'master' && port === 'redis' && ['frontend', 'replica'].includes(source)) ||
        (tier === 'replica' && port === 'redis' && source === 'frontend');
      const { violations, checked } = await policyViolations(session, expected);
      expect(violations).toEqual([]);
      const enforced = await policiesEnforced(session);
      if (!enforced) console.warn('[cluster] this cluster does NOT enforce NetworkPolicies: the policies were evaluated in code, not tried');
      return { note: `${checked} pod→port pairs evaluated; ${enforced ? 'enforced here' : 'NOT enforced by this cluster'}` };
    });
  });
});

/** The build that a page comes from: Next.js adds `?dpl=<deploymentId>` to its scripts' URLs. */
const buildOf = (html: string) => /\.js\?dpl=([^"&]+)/.exec(html)?.[1];

/** The page's HTML as a new visitor gets it. */
async function fetchPage(origin: string): Promise<string> {
  return (await send(origin, `/?fresh=${randomUuid()}`)).body;
}

/** Posts until one write is acknowledged; when that happened. */
async function waitForWrite(origin: string): Promise<number> {
  let at = 0;
  await waitUntil('a write acknowledged again', 120_000, async () => {
    const { entry } = await sign(origin, 'probe', `after the master came back ${randomUuid()}`);
    if (entry) at = Date.now();
    return entry !== undefined;
  });
  return at;
}
