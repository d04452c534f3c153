import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as single from '@/app/api/guestbook/[id]/route';
import * as collection from '@/app/api/guestbook/route';
import * as readyz from '@/app/api/readyz/route';
import {
  startRedisServer,
  startSentinel,
  waitForReplicaLink,
  withClient,
  type RedisServer,
  type Sentinel,
} from '../../scripts/redis-server';
import { APP_USER } from '../../scripts/redis-acl';
import { call, postJson } from './helpers';

/**
 * High availability: three sentinels, which require a password of their own, watch a master and two
 * replicas; the app finds them through the sentinels. The master is killed in the middle of writes
 * and reads.
 */

const NAME = 'guestbook';
const credentials = { password: 'sentinel-admin', appPassword: 'sentinel-app' };
const SENTINEL_PASSWORD = 'sentinel-own';
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-sentinel-'));
const servers: RedisServer[] = [];
const sentinels: Sentinel[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Generous: a failover on a busy two-core machine (CI runs builds beside it) can take a while.
async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

async function currentMasterPort(): Promise<number> {
  const [, port] = (await withClient(sentinels[0]!.url, (c) =>
    c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME),
  )) as [string, string];
  return Number(port);
}

beforeAll(async () => {
  const master = await startRedisServer({ dir: path.join(dir, 'master'), ...credentials });
  servers.push(master);
  for (const name of ['replica-1', 'replica-2']) {
    servers.push(await startRedisServer({ dir: path.join(dir, name), ...credentials, replicaOf: master }));
  }
  await Promise.all(servers.slice(1).map((replica) => waitForReplicaLink(replica.url)));
  for (let i = 0; i < 3; i++) {
    sentinels.push(
      await startSentinel({ dir: path.join(dir, `sentinel-${i}`), master, name: NAME, password: credentials.password, sentinelPassword: SENTINEL_PASSWORD, quorum: 2 }),
    );
  }
  // Sentinels find the replicas and each other through the master; wait until they have.
  await waitUntil('the sentinels know both replicas', async () => {
    const replicas = (await withClient(sentinels[0]!.url, (c) => c.call('SENTINEL', 'REPLICAS', NAME))) as unknown[];
    return replicas.length === 2;
  });

  process.env.REDIS_SENTINELS = sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  process.env.REDIS_SENTINEL_MASTER = NAME;
  process.env.REDIS_SENTINEL_PASSWORD = SENTINEL_PASSWORD;
  process.env.REDIS_USERNAME = APP_USER;
  process.env.REDIS_PASSWORD = credentials.appPassword;
  process.env.REDIS_REPLICA_MAX_LINK_DOWN_MS = '1000';
}, 60_000);

afterAll(async () => {
  await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis Sentinel', () => {
  it("refuses a client without the sentinels' password", async () => {
    const askMaster = (url: string) => withClient(url, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME));
    for (const { port } of sentinels) {
      await expect(askMaster(`redis://127.0.0.1:${port}`)).rejects.toThrow(/NOAUTH/);
      await expect(askMaster(`redis://:${credentials.password}@127.0.0.1:${port}`)).rejects.toThrow(/WRONGPASS/);
    }
  });

  it('lets the app, given REDIS_SENTINEL_PASSWORD, find its master and replicas and work', async () => {
    const response = await postJson(collection.POST, { name: 'Ada', message: 'through the sentinels' });
    expect(response.status).toBe(201);
    const { id } = await response.json();
    expect(await (await call(single.GET, `/api/guestbook/${id}`, {}, { id })).json()).toMatchObject({ id, message: 'through the sentinels' });
    expect((await call(readyz.GET, '/api/readyz')).status).toBe(200);
  });

  it('fails over when the master dies: writes resume, no acknowledged entry is lost, no read fails', { timeout: 180_000 }, async () => {
    const acknowledged: string[] = [];
    const writeStatuses = new Set<number>();
    const failedReads: number[] = [];
    let reads = 0;
    let stop = false;

    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const response = await postJson(collection.POST, { name: `writer ${w}`, message: `failover ${w}-${i}` });
        writeStatuses.add(response.status);
        if (response.status === 201) acknowledged.push((await response.json()).id);
        else await sleep(50);
      }
    };
    const reader = async () => {
      while (!stop) {
        const response = await call(collection.GET, '/api/guestbook');
        reads++;
        if (response.status !== 200) failedReads.push(response.status);
        await sleep(10);
      }
    };
    const workers = [...[0, 1, 2, 3].map(writer), reader(), reader()];

    await waitUntil('writes flow', () => acknowledged.length >= 100);
    const oldMaster = servers[0]!;
    await oldMaster.stop('SIGKILL');
    const killedAt = acknowledged.length;
    await waitUntil('a replica is promoted', async () => (await currentMasterPort()) !== oldMaster.port);
    await waitUntil('writes resume on the new master', () => acknowledged.length >= killedAt + 100);
    stop = true;
    await Promise.all(workers);

    expect(reads).toBeGreaterThan(50);
    expect(failedReads).toEqual([]);
    expect([...writeStatuses].every((status) => status === 201 || status === 503)).toBe(true);

    const masterPort = await currentMasterPort();
    const masterUrl = servers.find((server) => server.port === masterPort)!.url;
    const stored = new Set((await withClient(masterUrl, (c) => c.xrange('guestbook:entries', '-', '+'))).map(([id]) => id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
