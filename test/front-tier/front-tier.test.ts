import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverEnv, startProcess, stopProcess, type ServerProcess } from '@/bench/servers';
import { NONCE_PLACEHOLDER } from '@/lib/http/csp';
import { startFrontTier, type FrontTier } from '@/scripts/front-tier';
import { startRedisPair, type RedisPair } from '@/scripts/redis-server';
import { buildIfNeeded, serverCommand } from '@/scripts/stack';

/**
 * The front tier (front-tier/nginx.conf) in front of two real Next.js servers over a real Redis pair,
 * as `npm start` and a frontend pod run it: what it serves itself, what it caches and for how long,
 * the page's fresh nonce, and the 503 that it answers instead of queueing.
 */

// Small, so that the overload test needs few requests to pass it.
const MAX_CONNS = 4;
const ADMIN_TOKEN = 'front-tier-moderator-token';
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-front-tier-'));
let redis: RedisPair;
let apps: ServerProcess[];
let front: FrontTier;

beforeAll(async () => {
  buildIfNeeded();
  redis = await startRedisPair({ dir: path.join(dir, 'redis'), password: 'ft-admin', appPassword: 'ft-app' });
  const env = { ...serverEnv(redis), FRONT_TIER: 'true', TRUST_PROXY: '1', GUESTBOOK_ADMIN_TOKEN: ADMIN_TOKEN };
  apps = await Promise.all([0, 1].map((i) => startProcess(`app-${i}`, serverCommand('start', ''), env, '/api/readyz', dir)));
  front = await startFrontTier({
    listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
    upstreams: apps.map((app) => new URL(app.origin).host),
    dir: path.join(dir, 'nginx'),
    staticDir: path.resolve('.next/static'),
    maxConnsPerServer: MAX_CONNS,
  });
}, 300_000);

afterAll(async () => {
  await front?.stop();
  await Promise.all((apps ?? []).map(stopProcess));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (pathname: string, headers: Record<string, string> = {}) => fetch(front.origin + pathname, { headers });
const post = (name: string, message: string) =>
  fetch(`${front.origin}/api/guestbook`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, message }) });
const nonces = (html: string) => [...html.matchAll(/nonce="([^"]*)"/g)].map((match) => match[1]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the front tier', () => {
  it("serves Next's static files from disk, immutable, compressed", async () => {
    const html = await (await get('/')).text();
    const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)![1]!;
    const response = await get(script, { 'Accept-Encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('x-cache')).toBeNull();
  });

  it('keeps the metrics off the public port; the app still serves them on its own', async () => {
    expect((await get('/api/metrics')).status).toBe(404);
    expect((await fetch(`${apps[0]!.origin}/api/metrics`)).status).toBe(200);
  });

  it('bounds what a request may send: headers and bodies', async () => {
    expect((await get('/api/guestbook', { 'X-Padding': 'x'.repeat(10_000) })).status).toBeGreaterThanOrEqual(400);
    const tooLarge = await fetch(`${front.origin}/api/guestbook`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(20_000) });
    expect(tooLarge.status).toBe(413);
  });

  it('caches the newest page of the list for at most a second: a new entry is in every read within 1 s of its 201', async () => {
    await get('/api/guestbook');
    expect((await get('/api/guestbook')).headers.get('x-cache')).toMatch(/HIT|STALE|UPDATING/);
    const created = await post('Fresh', `within a second ${Date.now()}`);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await sleep(1_050);
    const page = (await (await get('/api/guestbook')).json()) as { entries: { id: string }[] };
    expect(page.entries.map((entry) => entry.id)).toContain(id);
  });

  it('fills a missing or expired entry with one request to Next.js while the others wait or get the previous copy', async () => {
    const listReads = async () => {
      let total = 0;
      for (const app of apps) {
        const text = await (await fetch(`${app.origin}/api/metrics`)).text();
        const line = text.split('\n').find((candidate) => candidate.startsWith('guestbook_http_request_duration_seconds_count{route="/api/guestbook",method="GET",status="200"}'));
        total += Number(line?.split(' ').at(-1) ?? 0);
      }
      return total;
    };
    // A query of its own: a key that nothing has filled yet. Each burst starts as a second begins: an
    // entry of the newest page is fresh until its second ends (lib/http/caching.ts), so a burst that
    // runs into the next second may rightly fill it once more.
    const burst = async () => {
      await sleep(1_000 - (Date.now() % 1_000));
      const started = Date.now();
      const responses = await Promise.all(Array.from({ length: 40 }, () => get('/api/guestbook?limit=7')));
      const bodies = await Promise.all(responses.map((response) => response.text()));
      expect(new Set(responses.map((response) => response.status))).toEqual(new Set([200]));
      expect(new Set(bodies).size).toBeLessThanOrEqual(2);
      const seconds = Math.floor(Date.now() / 1_000) - Math.floor(started / 1_000) + 1;
      return { statuses: responses.map((response) => response.headers.get('x-cache')), seconds };
    };
    const before = await listReads();
    const missing = await burst();
    const filled = (await listReads()) - before;
    expect(filled).toBeGreaterThanOrEqual(1);
    expect(filled).toBeLessThanOrEqual(missing.seconds);
    expect(missing.statuses.filter((status) => status === 'MISS')).toHaveLength(1);
    // The next second: expired, and within the stale-while-revalidate of its Cache-Control.
    const expired = await burst();
    const refilled = (await listReads()) - before - filled;
    expect(refilled).toBeGreaterThanOrEqual(1);
    expect(refilled).toBeLessThanOrEqual(expired.seconds);
    expect(expired.statuses.filter((status) => status === 'EXPIRED')).toHaveLength(refilled);
  });

  it('says what may be cached with standard headers, for a CDN too', async () => {
    const newest = await get('/api/guestbook');
    expect(newest.headers.get('cache-control')).toBe('public, max-age=0, s-maxage=1, stale-while-revalidate=1');
    expect(newest.headers.get('x-accel-expires')).toBeNull();
    const { nextCursor } = (await newest.json()) as { nextCursor: string | null };
    for (let i = 0; i < 25 && !nextCursor; i++) await post('Filler', `entry ${i}`);
    const first = (await (await fetch(`${apps[0]!.origin}/api/guestbook`)).json()) as { nextCursor: string };
    const older = await get(`/api/guestbook?cursor=${first.nextCursor}`);
    expect(older.headers.get('cache-control')).toMatch(/^public, max-age=0, s-maxage=\d+, stale-while-revalidate=\d+$/);
  });

  it('never leads a link handed out after a deletion to an older page cached before it', async () => {
    for (let i = 0; i < 3; i++) await post('Pager', `older page ${i}`);
    const spam = (await (await post('Spammer', 'delete me')).json()) as { id: string };
    await post('Pager', 'newest');
    await sleep(1_050);
    const firstPage = async () => (await (await get('/api/guestbook?limit=1')).json()) as { nextCursor: string };
    const olderIds = async (cursor: string) =>
      ((await (await get(`/api/guestbook?limit=100&cursor=${cursor}`)).json()) as { entries: { id: string }[] }).entries.map((entry) => entry.id);
    const link = (await firstPage()).nextCursor;
    expect(await olderIds(link)).toContain(spam.id);
    expect((await get(`/api/guestbook?limit=100&cursor=${link}`)).headers.get('x-cache')).toBe('HIT');

    const removed = await fetch(`${front.origin}/api/guestbook/${spam.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(removed.status).toBe(204);
    await sleep(1_050);
    const newLink = (await firstPage()).nextCursor;
    expect(newLink).not.toBe(link);
    expect(await olderIds(newLink)).not.toContain(spam.id);
  });

  it('gives every page a fresh nonce, the same in the header and in every attribute, cached or not', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = await get('/');
      const html = await response.text();
      const [nonce, ...others] = nonces(html);
      expect(nonce).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(others)).toEqual(new Set([nonce]));
      expect(response.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`);
      expect(html).not.toContain(NONCE_PLACEHOLDER);
      expect(response.headers.get('etag')).toBeNull();
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
      seen.add(nonce!);
    }
    expect(seen.size).toBe(3);
    expect((await get('/')).headers.get('x-cache')).toMatch(/HIT|STALE|UPDATING/);
  });

  it('never serves a cached page in another language', async () => {
    const lang = async (headers: Record<string, string>) => /<html lang="([^"]+)"/.exec(await (await get('/', headers)).text())?.[1];
    expect(await lang({ 'Accept-Language': 'en' })).toBe('en');
    expect(await lang({ 'Accept-Language': 'zh-CN,zh;q=0.9' })).toBe('zh-CN');
    expect(await lang({ 'Accept-Language': 'en', Cookie: 'NEXT_LOCALE=zh-CN' })).toBe('zh-CN');
    expect(await lang({ 'Accept-Language': 'en' })).toBe('en');
  });

  it('never caches the page after a form post', async () => {
    const created = (await (await post('Posted', 'shown once')).json()) as { id: string };
    for (let i = 0; i < 2; i++) {
      const response = await get(`/?posted=${created.id}`);
      expect(await response.text()).toContain('shown once');
      expect(response.headers.get('x-cache')).not.toMatch(/HIT|STALE|UPDATING/);
    }
  });

  it('follows live events through the front tier, unbuffered', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${front.origin}/api/guestbook/events`, { signal: controller.signal });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    await sleep(200);
    await post('Live', 'through nginx');
    let text = '';
    while (!text.includes('through nginx')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
  });

  it('answers 503 with Retry-After at once when every Next.js process has its share in flight, and recovers', async () => {
    apps.forEach((app) => process.kill(app.pid, 'SIGSTOP'));
    try {
      // Not cacheable, so each one needs a Next.js process: some wait on the stopped ones, the rest are shed.
      const requests = Array.from({ length: 2 * MAX_CONNS + 6 }, (_, i) => get(`/api/guestbook/${Date.now()}-${i}`));
      const shed: Response[] = [];
      for (const response of await Promise.all(requests.map((request) => Promise.race([request, sleep(3_000).then(() => null)])))) {
        if (response) shed.push(response);
      }
      expect(shed.length).toBeGreaterThanOrEqual(6);
      for (const response of shed) {
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(response.headers.get('content-type')).toBe('application/problem+json');
      }
    } finally {
      apps.forEach((app) => process.kill(app.pid, 'SIGCONT'));
    }
    await sleep(500);
    expect((await get('/api/healthz')).status).toBe(200);
  });
});
