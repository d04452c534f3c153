import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as events from '@/app/api/guestbook/events/route';
import { compareEntryIds } from '@/lib/guestbook/entry-id';
import { STREAM_KEY } from '@/lib/guestbook/store';
import type { Entry } from '@/lib/guestbook/schema';
import { LIVE_LIMITS, openEventStream } from '@/lib/live/event-stream';
import { LiveFeed, liveFeed } from '@/lib/live/feed';
import type { Role } from '@/lib/redis';
import { startRedisPair, startRedisServer, waitForReplicaLink, withClient, type RedisServer } from '../../scripts/redis-server';
import { call, metric, redisUrls, replicaCaughtUp } from './helpers';
import { EventReader } from './sse';

const opened: EventReader[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((reader) => reader.cancel().catch(() => {})));
});

/** A feed of its own, as another server process has, on connections of its own. */
function otherProcessFeed(urls: Record<Role, string> = { master: redisUrls().masterUrl, replica: redisUrls().replicaUrl }) {
  return new LiveFeed({
    connect: (role) => {
      const client = new Redis(urls[role], { connectionName: `guestbook-live-${role}`, maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 1000), connectTimeout: 500 });
      client.on('error', () => {});
      return client;
    },
    blockMs: 1_000,
  });
}

async function subscribe(headers: Record<string, string> = {}, query = ''): Promise<EventReader> {
  const response = await call(events.GET, `/api/guestbook/events${query}`, { headers });
  expect(response.status).toBe(200);
  const reader = new EventReader(response.body!);
  opened.push(reader);
  return reader;
}

function subscribeTo(feed: LiveFeed, after?: string): Promise<EventReader> {
  return openEventStream(feed, after, new AbortController().signal).then((stream) => {
    const reader = new EventReader(stream);
    opened.push(reader);
    return reader;
  });
}

const append = (url: string, message: string) =>
  withClient(url, (master) => master.xadd(STREAM_KEY, '*', 'name', 'Live', 'message', message)) as Promise<string>;

const messages = (entries: Entry[]) => entries.map((entry) => entry.message);
const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `m${from + i}`);

async function liveConnections(url: string): Promise<number> {
  const list = (await withClient(url, (client) => client.call('CLIENT', 'LIST'))) as string;
  return list.split('\n').filter((line) => / name=guestbook-live-/.test(line)).length;
}

describe('GET /api/guestbook/events', () => {
  it('streams as text/event-stream, uncached and unbuffered, with a retry hint', async () => {
    const response = await call(events.GET, '/api/guestbook/events');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const reader = new EventReader(response.body!);
    opened.push(reader);
    await append(redisUrls().masterUrl, 'hello');
    const [entry] = await reader.untilEntries(1);
    expect(reader.events[0]).toEqual({ retry: String(LIVE_LIMITS.retryMs) });
    expect(reader.events[1]).toMatchObject({ id: entry!.id, event: 'entry' });
    expect(entry).toMatchObject({ name: 'Live', message: 'hello' });
  });

  it('answers a malformed Last-Event-ID or lastEventId with a 400 problem', async () => {
    for (const init of [{ headers: { 'Last-Event-ID': 'yesterday' } }, {}]) {
      const query = 'headers' in init ? '' : '?lastEventId=1-2-3';
      const response = await call(events.GET, `/api/guestbook/events${query}`, init);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 400, errors: { lastEventId: expect.any(Array) } });
    }
  });

  it('delivers every entry once and in order to every subscriber of two processes, on one connection each', async () => {
    const { masterUrl, replicaUrl } = redisUrls();
    const here = [await subscribe(), await subscribe()];
    const other = otherProcessFeed();
    const there = [await subscribeTo(other), await subscribeTo(other)];
    // Appends made at once, as by several app processes.
    const written = await Promise.all(numbered(30).map((message) => append(masterUrl, message)));
    const order = [...written].sort(compareEntryIds);
    for (const reader of [...here, ...there]) {
      const entries = await reader.untilEntries(30);
      expect(entries.map((entry) => entry.id)).toEqual(order);
    }
    expect(liveFeed().subscriberCount).toBe(2);
    expect(other.subscriberCount).toBe(2);
    // One blocking connection per process, whatever the number of subscribers.
    expect(await liveConnections(replicaUrl)).toBe(2);
  });

  it('resumes after Last-Event-ID with no gap and no duplicate, then continues live', async () => {
    const { masterUrl } = redisUrls();
    const first = await subscribe();
    for (const message of numbered(3)) await append(masterUrl, message);
    const seen = await first.untilEntries(3);
    await first.cancel();
    for (const message of numbered(5, 3)) await append(masterUrl, message);
    await replicaCaughtUp();

    const resumed = await subscribe({ 'Last-Event-ID': seen[2]!.id }, '?lastEventId=0-1');
    expect(messages(await resumed.untilEntries(5))).toEqual(numbered(5, 3));
    await append(masterUrl, 'm8');
    expect(messages(await resumed.untilEntries(6))).toEqual(numbered(6, 3));

    const byQuery = await subscribe({}, `?lastEventId=${seen[0]!.id}`);
    expect(messages(await byQuery.untilEntries(8))).toEqual(numbered(8, 1));
  });

  it('drops a subscriber that does not keep up, without holding up the others', async () => {
    const { masterUrl } = redisUrls();
    const feed = otherProcessFeed();
    const saved = LIVE_LIMITS.maxQueued;
    LIVE_LIMITS.maxQueued = 5;
    try {
      const reading = await subscribeTo(feed);
      const shed = await metric('guestbook_requests_shed_total', { reason: 'stream_behind' });
      await openEventStream(feed, undefined, new AbortController().signal); // never read
      expect(feed.subscriberCount).toBe(2);
      const received = reading.untilEntries(20);
      for (const message of numbered(20)) await append(masterUrl, message);
      expect(messages(await received)).toEqual(numbered(20));
      expect(feed.subscriberCount).toBe(1);
      expect((await metric('guestbook_requests_shed_total', { reason: 'stream_behind' })) - shed).toBe(1);
    } finally {
      LIVE_LIMITS.maxQueued = saved;
    }
  });

  it('stops reading when the last subscriber leaves', async () => {
    const { replicaUrl } = redisUrls();
    const controller = new AbortController();
    const feed = otherProcessFeed();
    const stream = await openEventStream(feed, undefined, controller.signal);
    expect(await liveConnections(replicaUrl)).toBe(1);
    controller.abort();
    expect(await new EventReader(stream).untilClosed()).toBe(true);
    expect(feed.subscriberCount).toBe(0);
    await expect.poll(() => liveConnections(replicaUrl)).toBe(0);
  });
});

describe('the live feed across Redis restarts', () => {
  it('survives a replica restart and a master restart, skipping and repeating nothing', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-live-'));
    // appPassword: for servers that also create the app's restricted user.
    const credentials = { password: 'live-test', appPassword: 'live-test-app' };
    const pair = await startRedisPair({ dir, ...credentials });
    let { master, replica } = pair;
    const restart = (server: RedisServer, replicaOf?: RedisServer) =>
      startRedisServer({ dir: server.dir, ...credentials, port: server.port, replicaOf });
    try {
      const feed = otherProcessFeed({ master: master.url, replica: replica.url });
      const received: string[] = [];
      const subscription = await feed.subscribe((entry) => received.push(entry.message));
      const appendAll = async (messagesToAdd: string[]) => {
        for (const message of messagesToAdd) await append(master.url, message);
      };
      await appendAll(numbered(2));
      await expect.poll(() => received, { timeout: 20_000 }).toEqual(numbered(2));

      await replica.stop();
      await appendAll(numbered(2, 2)); // read from the master meanwhile
      await expect.poll(() => received, { timeout: 20_000 }).toEqual(numbered(4));
      replica = await restart(replica, master);
      await waitForReplicaLink(replica.url);
      await appendAll(numbered(2, 4));
      await expect.poll(() => received, { timeout: 20_000 }).toEqual(numbered(6));

      await master.stop();
      master = await restart(master);
      await waitForReplicaLink(replica.url);
      await appendAll(numbered(2, 6));
      await expect.poll(() => received, { timeout: 20_000 }).toEqual(numbered(8));
      subscription.unsubscribe();
    } finally {
      await replica.stop();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /api/guestbook with If-None-Match', () => {
  it('answers 304 while the page is the same, and 200 with a new ETag once it changes', async () => {
    const { masterUrl } = redisUrls();
    await append(masterUrl, 'first');
    await replicaCaughtUp();
    const first = await call(collection.GET, '/api/guestbook');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const same = await call(collection.GET, '/api/guestbook', { headers: { 'If-None-Match': etag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');

    await append(masterUrl, 'second');
    await replicaCaughtUp();
    const changed = await call(collection.GET, '/api/guestbook', { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(messages((await changed.json()).entries)).toEqual(['second', 'first']);
  });
});
