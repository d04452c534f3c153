import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as readyz from '@/app/api/readyz/route';
import { createRedisClient, replicaMonitor } from '@/lib/redis';
import { ReplicaMonitor } from '@/lib/replica-health';
import { startRedisPair, startRedisServer, waitForReplicaLink, withClient, type RedisPair, type RedisServer } from '../../scripts/redis-server';
import { call, metric, postJson } from './helpers';

/**
 * Faults injected for real into a Redis pair of this file's own: servers killed with SIGKILL, paused
 * with SIGSTOP, links cut; the app must keep its promises through each.
 */

const credentials = { password: 'faults-admin', appPassword: 'faults-app' };
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-faults-'));
let pair: RedisPair;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function restart(server: RedisServer, replicaOf?: RedisServer): Promise<RedisServer> {
  return startRedisServer({ dir: server.dir, port: server.port, ...credentials, replicaOf });
}

async function readyState() {
  return (await readyz.GET()).json();
}

/** GETs the first page `times` times, and the statuses that came back. */
async function readRepeatedly(times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await call(collection.GET, '/api/guestbook')).status);
  return statuses;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

const xlen = (url: string) => withClient(url, (c) => c.xlen('guestbook:entries'));

beforeAll(async () => {
  pair = await startRedisPair({ dir, ...credentials });
  process.env.REDIS_MASTER_URL = pair.master.appUrl;
  process.env.REDIS_REPLICA_URL = pair.replica.appUrl;
  process.env.REDIS_TIMEOUT_MS = '300';
  process.env.REDIS_REPLICA_MAX_LINK_DOWN_MS = '1000';
});

afterAll(async () => {
  await pair.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  expect((await postJson(collection.POST, { name: 'Seed', message: 'before the fault' })).status).toBe(201);
  await waitForReplicaLink(pair.replica.url);
});

describe('a replica goes away', () => {
  it('killed: every read still answers, from the master, and reads return to the replica when it is back', async () => {
    await pair.replica.stop('SIGKILL');
    const fromMaster = await metric('guestbook_redis_reads_total', { source: 'master' });
    expect(await readRepeatedly(20)).toEqual(Array(20).fill(200));
    expect(await readyState()).toMatchObject({ status: 'ready', readsFrom: 'master', replica: { status: 'down' } });
    // What Prometheus sees: every one of those reads answered by the master, the replica untrusted.
    expect((await metric('guestbook_redis_reads_total', { source: 'master' })) - fromMaster).toBe(20);
    expect(await metric('guestbook_replica_trusted')).toBe(0);
    expect(await metric('guestbook_redis_connected', { role: 'replica' })).toBe(0);

    pair.replica = await restart(pair.replica, pair.master);
    await waitForReplicaLink(pair.replica.url);
    await waitUntil('the replica is trusted again', async () => (await replicaMonitor().poll()).trusted);
    const before = await withClient(pair.replica.url, (c) => c.info('commandstats'));
    expect(await readRepeatedly(5)).toEqual(Array(5).fill(200));
    const after = await withClient(pair.replica.url, (c) => c.info('commandstats'));
    expect(after).not.toEqual(before);
    expect(await readyState()).toMatchObject({ readsFrom: 'replica', replica: { status: 'up', trusted: true } });
  });

  it('its connection dropped: trusted again as soon as the connection is back, not a poll later', async () => {
    // A monitor that polls once an hour: only the connection coming back can restore its trust.
    const [replica, master] = [createRedisClient('replica'), createRedisClient('master')];
    const monitor = new ReplicaMonitor(replica, master, 1000, 3_600_000);
    try {
      await replica.ping();
      // A read failed while the connection was down (a connect timeout as a busy process starts).
      monitor.markUnreachable();
      expect(monitor.current().trusted).toBe(false);
      replica.disconnect(true);
      await waitUntil('the replica is trusted again', async () => monitor.current().trusted);
    } finally {
      monitor.stop();
      replica.disconnect();
      master.disconnect();
    }
  });

  it('paused: every read still answers, and the replica serves again once it resumes', async () => {
    pair.replica.process.kill('SIGSTOP');
    try {
      expect(await readRepeatedly(10)).toEqual(Array(10).fill(200));
      expect(await readyState()).toMatchObject({ status: 'ready', readsFrom: 'master', replica: { status: 'down' } });
    } finally {
      pair.replica.process.kill('SIGCONT');
    }
    await waitUntil('the replica is trusted again', async () => (await replicaMonitor().poll()).trusted);
    expect(await readyState()).toMatchObject({ readsFrom: 'replica' });
  });

  it('cut off from its master for longer than the bound: not trusted for reads while the master answers', async () => {
    const masterPort = String(pair.master.port);
    // Point the replica at a port where nothing listens: its link goes down, its data goes stale.
    await withClient(pair.replica.url, (c) => c.call('REPLICAOF', '127.0.0.1', '1'));
    try {
      await waitUntil('the replica is distrusted', async () => !(await replicaMonitor().poll()).trusted);
      const state = await readyState();
      expect(state).toMatchObject({ readsFrom: 'master', replica: { status: 'up', masterLink: 'down', trusted: false } });
      // A write is read back at once: it comes from the master, the stale replica cannot have it.
      const created = await (await postJson(collection.POST, { name: 'Fresh', message: 'while the replica is stale' })).json();
      const { entries } = await (await call(collection.GET, '/api/guestbook')).json();
      expect(entries[0]).toEqual(created);
      // The replica lacks that entry: its lag, as the app sees it, grows by the second.
      await waitUntil('the lag to show', async () => {
        await replicaMonitor().poll();
        return (await metric('guestbook_replica_lag_seconds')) >= 1;
      });
    } finally {
      await withClient(pair.replica.url, (c) => c.call('REPLICAOF', '127.0.0.1', masterPort));
    }
    await waitForReplicaLink(pair.replica.url);
    await waitUntil('the replica is trusted again', async () => (await replicaMonitor().poll()).trusted);
    await waitUntil('the lag to be gone', async () => {
      await replicaMonitor().poll();
      return (await metric('guestbook_replica_lag_seconds')) === 0;
    });
    expect(await metric('guestbook_replica_trusted')).toBe(1);
  });
});

describe('the master goes away', () => {
  it('reads keep working from the replica, writes answer 503 with Retry-After, and writes resume by themselves', async () => {
    await pair.master.stop('SIGKILL');
    try {
      expect(await readRepeatedly(20)).toEqual(Array(20).fill(200));
      const unavailable = await metric('guestbook_writes_total', { outcome: 'unavailable' });
      for (let i = 0; i < 5; i++) {
        const response = await postJson(collection.POST, { name: 'Ada', message: `while the master is down ${i}` });
        expect(response.status).toBe(503);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect((await metric('guestbook_writes_total', { outcome: 'unavailable' })) - unavailable).toBe(5);
      expect(await metric('guestbook_redis_connected', { role: 'master' })).toBe(0);
      expect(await readyState()).toMatchObject({ status: 'ready', readsFrom: 'replica', master: { status: 'down' } });
    } finally {
      pair.master = await restart(pair.master);
    }
    // The same process, the same clients: writes come back without a restart of the app.
    await waitUntil('writes are accepted again', async () => {
      const response = await postJson(collection.POST, { name: 'Ada', message: 'the master is back' });
      return response.status === 201;
    });
    expect(await readRepeatedly(5)).toEqual(Array(5).fill(200));
  });
});

describe('nothing acknowledged is lost', () => {
  it('every entry that got a 201 survives a SIGKILL of the master in the middle of a burst, on master and replica', async () => {
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const response = await postJson(collection.POST, { name: `writer ${w}`, message: `burst ${w}-${i}` });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 201) acknowledged.push((await response.json()).id);
        else await sleep(20);
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await waitUntil('the burst is under way', async () => acknowledged.length >= 200);
    await pair.master.stop('SIGKILL');
    await sleep(300);
    pair.master = await restart(pair.master);
    await waitUntil('writes are accepted again', async () => acknowledged.length >= 400 + 200);
    stop = true;
    await Promise.all(writers);

    // Every response was a 201 or a 503: nothing hung, nothing else failed.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([201]));
    expect([...statuses.keys()].every((status) => status === 201 || status === 503)).toBe(true);
    await waitForReplicaLink(pair.replica.url);
    for (const url of [pair.master.url, pair.replica.url]) {
      await waitUntil('the replica has caught up', async () => (await xlen(url)) >= acknowledged.length);
      const ids = new Set((await withClient(url, (c) => c.xrange('guestbook:entries', '-', '+'))).map(([id]) => id));
      expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    }
  });
});
