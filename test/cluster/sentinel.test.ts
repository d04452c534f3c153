import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, type ServiceSpec } from '../manifests/render';
import { publicService } from './deploy';
import { waitUntil } from '../wait';
import { isReady } from './kube';
import { cluster, policiesEnforced, policyViolations, Session, summary } from './session';
import { hardeningAndLimits } from './shared-steps';
import { Traffic } from './traffic';

/**
 * The Sentinel overlay, `kubectl apply -k k8s/overlays/sentinel`, on a real cluster: the master pod
 * deleted while visitors read, write and watch live; a replica promoted, the frontends writing to it
 * without a restart, the old master back as a replica.
 */

const session = new Session('sentinel', 'overlays/sentinel');
const LOAD = { readers: 4, writers: 2, streams: 2 };
const REDIS_SERVERS = ['master', 'replica'] as const;

/** What a sentinel names as the master: "host port". */
async function masterNamedBy(sentinel: string): Promise<string> {
  const answer = await session.namespace.exec(sentinel, 'sentinel', ['redis-cli', '-p', '26379', '--raw', 'sentinel', 'get-master-addr-by-name', 'guestbook']);
  return answer.trim().split('\n').join(' ');
}

/** The pod whose address the sentinels name as the master (by IP, or by its headless DNS name). */
async function masterPod(named: string): Promise<string | undefined> {
  const host = named.split(' ')[0]!;
  const servers = (await Promise.all(REDIS_SERVERS.map((tier) => session.pods(tier)))).flat();
  return servers.find((pod) => pod.status.podIP === host || host.startsWith(`${pod.metadata.name}.`))?.metadata.name;
}

/** What the Redis servers and the sentinels said: the start script's choice, promotions and switches. */
async function failoverLogs(): Promise<string> {
  const pods = (await Promise.all((['master', 'replica', 'sentinel'] as const).map((tier) => session.pods(tier)))).flat();
  const logs = await Promise.all(
    pods.map(async (pod) => {
      const name = pod.metadata.labels['app.kubernetes.io/component'] === 'sentinel' ? 'sentinel' : 'redis';
      const text = await session.namespace.run(['logs', pod.metadata.name, '--container', name, '--timestamps']).catch((error: Error) => error.message);
      const lines = text.split('\n').filter((line) => /start\.sh|switch-master|sdown|odown|failover|MASTER MODE|REPLICAOF|Connecting to MASTER|selected-slave|promoted/i.test(line));
      return `--- ${pod.metadata.name}\n${lines.slice(-30).join('\n')}`;
    }),
  );
  return logs.join('\n');
}

describe.skipIf(!cluster.available)('the Sentinel overlay (k8s/overlays/sentinel) on a real cluster', () => {
  beforeAll(async () => {
    await session.setUp();
  });

  afterAll(async () => {
    await session.tearDown();
  });

  it('three sentinels agree on the master, redis-master-0', async () => {
    await session.step('sentinels agree on the master', async () => {
      await session.tierReady('sentinel', 3);
      const sentinels = await session.pods('sentinel');
      const named = await Promise.all(sentinels.map((pod) => masterNamedBy(pod.metadata.name)));
      expect(new Set(named).size).toBe(1);
      expect(await masterPod(named[0]!)).toBe('redis-master-0');
      return { note: named[0] };
    });
  });

  it('the master pod deleted under load: a replica promoted, writes resume without restarting a frontend, nothing acknowledged lost, nothing but 503 + Retry-After meanwhile, the old master back as a replica', async () => {
    await session.step('Sentinel: master pod deleted under load', async () => {
      const frontendsBefore = (await session.pods('frontend')).map((pod) => `${pod.metadata.uid} ${pod.status.containerStatuses?.map((status) => status.restartCount).join(',')}`).sort();
      const [sentinel] = await session.pods('sentinel');
      const before = await masterNamedBy(sentinel!.metadata.name);
      // While the sentinels move every connection, a read that finds neither server within the app's
      // patience (three command timeouts) is refused with 503 + Retry-After (lib/redis.ts): counted, not
      // a failure; anything else is.
      const traffic = await new Traffic(session.origin, { ...LOAD, writesMayWait: true, readsMayWait: true }).start('failover');
      const deleted = Date.now();
      await session.namespace.run(['delete', 'pod', 'redis-master-0', '--wait=false']);
      let promotedAfter = 0;
      let promoted = '';
      await waitUntil('a replica promoted', 120_000, async () => {
        const named = await masterNamedBy(sentinel!.metadata.name);
        const pod = await masterPod(named);
        if (named === before || !pod || pod === 'redis-master-0') return false;
        promoted = pod;
        promotedAfter = Date.now() - deleted;
        return (await session.info(pod, 'replication', 'role')) === 'master';
      });
      // Writes resume: an acknowledged write after the promotion, from the traffic's own writers.
      const writtenBefore = traffic.acknowledgedCount();
      await waitUntil('writes acknowledged again', 60_000, async () => traffic.acknowledgedCount() > writtenBefore);
      const resumedAfter = Date.now() - deleted;
      // The old master's pod comes back, and joins as a replica of the promoted one.
      await waitUntil('redis-master-0 back as a replica, linked', 180_000, async () => {
        const [pod] = await session.pods('master');
        return pod !== undefined && isReady(pod) && (await session.info('redis-master-0', 'replication', 'role')) === 'slave' &&
          (await session.info('redis-master-0', 'replication', 'master_link_status')) === 'up';
      });
      const tally = await traffic.stop();
      const lost = await session.lostOf(tally);
      const frontendsAfter = (await session.pods('frontend')).map((pod) => `${pod.metadata.uid} ${pod.status.containerStatuses?.map((status) => status.restartCount).join(',')}`).sort();
      if (lost.length) console.error(`[cluster] acknowledged entries lost in the failover; the servers' and sentinels' logs:\n${await failoverLogs()}`);
      expect(tally.failures).toEqual([]);
      expect(lost).toEqual([]);
      expect(tally.missedByStreams).toEqual([]);
      expect(frontendsAfter, 'no frontend restarted or replaced').toEqual(frontendsBefore);
      return summary(tally, `${promoted} promoted ${(promotedAfter / 1000).toFixed(1)} s after the delete, writes back at ${(resumedAfter / 1000).toFixed(1)} s; redis-master-0 rejoined as a replica`);
    });
  });

  hardeningAndLimits(session);

  it('the NetworkPolicies admit only the tiers that need each port (evaluated; enforced only where the network plugin does)', async () => {
    await session.step('NetworkPolicies: who may reach what', async () => {
      const target = String((find(session.objects, 'Service', publicService(session.objects)).spec as unknown as ServiceSpec).ports[0]!.targetPort);
      const ours = ['frontend', 'master', 'replica', 'sentinel'];
      const expected = (source: string, tier: string, port: string) =>
        (tier === 'frontend' && port === target) ||
        (['master', 'replica'].includes(tier) && port === 'redis' && ours.includes(source)) ||
        (tier === 'sentinel' && port === 'sentinel' && ours.includes(source));
      const { violations, checked } = await policyViolations(session, expected);
      expect(violations).toEqual([]);
      const enforced = await policiesEnforced(session);
      return { note: `${checked} pod→port pairs evaluated; ${enforced ? 'enforced here' : 'NOT enforced by this cluster'}` };
    });
  });
});
