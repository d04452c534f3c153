import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverEnv, startProcess, stopProcess, type ServerProcess } from '@/bench/servers';
import { NONCE_PLACEHOLDER } from '@/lib/http/csp';
import { startFrontTier, type FrontTier, type QueueSettings } from '@/scripts/front-tier';
import { startRedisPair, type RedisPair } from '@/scripts/redis-server';
import { BEHIND_FRONT_TIER, buildIfNeeded, serverCommand } from '@/scripts/stack';
import { rawRequest } from './raw-request';

/**
 * The front tier (front-tier/nginx.conf, then the admission queue, front-tier/haproxy.cfg) in front of
 * two real Next.js servers over a real Redis pair, as `npm start` and a frontend pod run it: what it
 * serves itself, what it caches and for how long, the page's fresh nonce, bursts served in turn and
 * the 503 only past the queue's deadline, and its own answers in the API's language.
 */

const ADMIN_TOKEN = 'front-tier-moderator-token';
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-front-tier-'));
let redis: RedisPair;
let apps: ServerProcess[];
let front: FrontTier;
// The same apps behind a queue with few slots, a short deadline and a short queue, for the overload tests.
const TIGHT = { slotsPerServer: 2, timeoutMs: 600, maxQueue: 6 };
let tight: FrontTier;

beforeAll(async () => {
  buildIfNeeded();
  redis = await startRedisPair({ dir: path.join(dir, 'redis'), password: 'ft-admin', appPassword: 'ft-app' });
  const env = { ...serverEnv(redis), ...BEHIND_FRONT_TIER, GUESTBOOK_ADMIN_TOKEN: ADMIN_TOKEN };
  apps = await Promise.all([0, 1].map((i) => startProcess(`app-${i}`, serverCommand('start', ''), env, '/api/readyz', dir)));
  const inFront = async (name: string, queue: Partial<QueueSettings>) =>
    startFrontTier({
      listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
      upstreams: apps.map((app) => new URL(app.origin).host),
      dir: path.join(dir, name),
      staticDir: path.resolve('.next/static'),
      queue,
    });
  // A deadline far beyond what a burst needs, even on a busy machine: here the point is that a burst
  // waits its turn; the deadline has tests of its own, on the tight queue.
  front = await inFront('front', { timeoutMs: 30_000 });
  tight = await inFront('tight', TIGHT);
}, 300_000);

afterAll(async () => {
  await tight?.stop();
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
      // Nor in a header: React's preload `Link` header carried it once.
      expect([...response.headers].filter(([, value]) => value.includes(NONCE_PLACEHOLDER))).toEqual([]);
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

  it('never caches the page after a form post, nor even looks it up', async () => {
    const created = (await (await post('Posted', 'shown once')).json()) as { id: string };
    for (let i = 0; i < 2; i++) {
      const response = await get(`/?posted=${created.id}`);
      expect(await response.text()).toContain('shown once');
      expect(response.headers.get('x-cache')).toBeNull();
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

  it('keys a page on the language it is rendered in, not on the raw Accept-Language', async () => {
    // An older page (by cursor, even one that is not valid) is kept 10 s: long enough on a busy machine.
    const path = `/?cursor=language-key-${Date.now()}`;
    const first = await get(path, { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(await first.text()).toMatch(/<html lang="zh-CN"/);
    // Another browser's header for the same language: the same entry.
    const second = await get(path, { 'Accept-Language': 'zh-Hans-CN;q=1, en-GB;q=0.5' });
    expect(await second.text()).toMatch(/<html lang="zh-CN"/);
    expect(second.headers.get('x-cache')).toMatch(/HIT|STALE|UPDATING/);
    const english = await get(path, { 'Accept-Language': 'de-DE,de;q=0.9' });
    expect(await english.text()).toMatch(/<html lang="en"/);
  });

  it('keeps one copy of a page for every Accept-Encoding that browsers send, and compresses it for each', async () => {
    const path = `/?cursor=encoding-key-${Date.now()}`;
    const kinds = ['gzip, deflate, br, zstd', 'gzip, deflate, br', 'identity'];
    const answers = [];
    for (const encoding of kinds) answers.push(await get(path, { 'Accept-Encoding': encoding, 'Accept-Language': 'en' }));
    expect(answers.map((answer) => answer.headers.get('x-cache'))).toEqual(['MISS', expect.stringMatching(/HIT|STALE|UPDATING/), expect.stringMatching(/HIT|STALE|UPDATING/)]);
    expect(answers.map((answer) => answer.headers.get('content-encoding'))).toEqual(['gzip', 'gzip', null]);
    for (const answer of answers) expect(await answer.text()).toMatch(/<html lang="en"/);
  });
});

describe('bursts and overload through the admission queue', () => {
  it('stores every post of a burst of hundreds at once, each once, all 201', async () => {
    const tag = `burst-${Date.now()}`;
    const responses = await Promise.all(Array.from({ length: 400 }, (_, i) => post('Burst', `${tag} ${i}`)));
    expect(responses.map((response) => response.status)).toEqual(Array<number>(400).fill(201));
    const ids = await Promise.all(responses.map(async (response) => ((await response.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(400);
    const stored: string[] = [];
    for (let cursor: string | null = null, pages = 0; pages < 40; pages++) {
      const page = (await (await fetch(`${apps[0]!.origin}/api/guestbook?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
        entries: { message: string }[];
        nextCursor: string | null;
      };
      stored.push(...page.entries.map((entry) => entry.message).filter((message) => message.startsWith(tag)));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(stored.toSorted()).toEqual(Array.from({ length: 400 }, (_, i) => `${tag} ${i}`).toSorted());
  });

  it('serves a burst over the connections it keeps to Next.js, not a new one for each request', async () => {
    const counter = async (name: string) => Number(new RegExp(`^${name}\\{proxy="next"\\} (\\d+)`, 'm').exec(await (await fetch(front.queueMetricsUrl)).text())?.[1]);
    const [attempts, requests] = ['haproxy_backend_connection_attempts_total', 'haproxy_backend_http_requests_total'];
    const before = { attempts: await counter(attempts), requests: await counter(requests) };
    // Distinct addresses, so that nginx's cache lock merges none: each on a connection of its own to
    // nginx, and from nginx to the queue, as a burst of visitors comes.
    const base = Date.now();
    const responses = await Promise.all(Array.from({ length: 400 }, (_, i) => get(`/api/guestbook/${base}-${i}`)));
    expect(responses.map((response) => response.status)).toEqual(Array<number>(400).fill(404));
    const sent = (await counter(requests)) - before.requests;
    expect(sent).toBeGreaterThanOrEqual(400);
    // 2 servers × 16 slots need 32 connections; `http-reuse aggressive` opened one for every other request.
    expect((await counter(attempts)) - before.attempts).toBeLessThan(sent / 4);
  });

  it('lets a request wait for a slot, and answers 503 only once it has waited past the deadline; a full queue answers at once', async () => {
    apps.forEach((app) => process.kill(app.pid, 'SIGSTOP'));
    const inFlight = 2 * TIGHT.slotsPerServer;
    try {
      const timed = (i: number) => {
        const started = performance.now();
        // Not cacheable, so each one needs a Next.js process.
        return fetch(`${tight.origin}/api/guestbook/${Date.now()}-${i}`).then(async (response) => ({ response, body: await response.text(), ms: performance.now() - started }));
      };
      // Those that take the slots wait for the stopped processes; the queue holds the next ones.
      const held = Array.from({ length: inFlight }, (_, i) => timed(i));
      await sleep(100);
      const queued = Array.from({ length: TIGHT.maxQueue }, (_, i) => timed(100 + i));
      await sleep(100);
      const refused = await Promise.all(Array.from({ length: 3 }, (_, i) => timed(200 + i)));
      for (const { response, ms, body } of [...refused, ...(await Promise.all(queued))]) {
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(JSON.parse(body)).toMatchObject({ type: 'urn:guestbook:problem:overloaded', status: 503 });
        expect(refused.some((r) => r.response === response) ? ms < TIGHT.timeoutMs : ms >= TIGHT.timeoutMs).toBe(true);
      }
      apps.forEach((app) => process.kill(app.pid, 'SIGCONT'));
      // Those that had a slot are served once the processes run again.
      for (const { response } of await Promise.all(held)) expect(response.status).toBe(404);
    } finally {
      apps.forEach((app) => process.kill(app.pid, 'SIGCONT'));
    }
    expect((await fetch(`${tight.origin}/api/healthz`)).status).toBe(200);
  });

  it('lets a request whose visitor has gone leave the queue', async () => {
    const queued = async () => Number(/^haproxy_backend_current_queue\{proxy="next"\} (\d+)/m.exec(await (await fetch(tight.queueMetricsUrl)).text())?.[1]);
    apps.forEach((app) => process.kill(app.pid, 'SIGSTOP'));
    const held = Array.from({ length: 2 * TIGHT.slotsPerServer }, (_, i) => fetch(`${tight.origin}/api/guestbook/${Date.now()}-${i}`));
    try {
      await sleep(100);
      const visitors = Array.from({ length: 4 }, () => new AbortController());
      const pages = visitors.map((visitor, i) => fetch(`${tight.origin}/?posted=gone-${i}`, { signal: visitor.signal }).catch(() => null));
      await sleep(150);
      expect(await queued()).toBe(4);
      visitors.forEach((visitor) => visitor.abort());
      await Promise.all(pages);
      await sleep(150);
      expect(await queued()).toBe(0);
    } finally {
      apps.forEach((app) => process.kill(app.pid, 'SIGCONT'));
    }
    await Promise.all(held);
  });

  it('answers a page past the deadline with a page, in both languages, not JSON', async () => {
    await (await fetch(`${tight.origin}/`)).text();
    apps.forEach((app) => process.kill(app.pid, 'SIGSTOP'));
    try {
      const requests = Array.from({ length: 2 * TIGHT.slotsPerServer + 1 }, (_, i) => fetch(`${tight.origin}/?posted=${Date.now()}-${i}`));
      const last = await Promise.race(requests);
      expect(last.status).toBe(503);
      expect(last.headers.get('content-type')).toMatch(/^text\/html/);
      expect(last.headers.get('retry-after')).toBe('1');
      expect(await last.text()).toContain('lang="zh-CN"');
    } finally {
      apps.forEach((app) => process.kill(app.pid, 'SIGCONT'));
    }
  });
});

describe("the front tier's own answers", () => {
  // An upstream that answers nonsense on one path and nothing on another, and a port where nothing listens.
  let bogus: Server;
  let broken: FrontTier;
  let nobody: FrontTier;

  beforeAll(async () => {
    bogus = createServer((socket) => {
      socket.once('data', (data) => {
        if (data.toString().includes('/garbage')) socket.end('this is not HTTP\r\n\r\n');
      });
      socket.on('error', () => {});
    });
    const bogusPort = await getPort({ host: '127.0.0.1' });
    await new Promise<void>((resolve) => bogus.listen(bogusPort, '127.0.0.1', resolve));
    const inFront = async (name: string, upstream: string) =>
      startFrontTier({
        listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
        upstreams: [upstream],
        dir: path.join(dir, name),
        staticDir: path.resolve('.next/static'),
        queue: { serverTimeoutSeconds: 1 },
      });
    broken = await inFront('broken', `127.0.0.1:${bogusPort}`);
    nobody = await inFront('nobody', `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`);
  });

  afterAll(async () => {
    await broken?.stop();
    await nobody?.stop();
    bogus?.close();
  });

  const expectProblem = async (response: Response, status: number, type: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({ type: `urn:guestbook:problem:${type}`, title: expect.any(String), status, detail: expect.any(String) });
  };
  const expectPage = async (response: Response, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toMatch(/<html lang="en">[\s\S]*lang="zh-CN"/);
  };

  it('413 for a body of 1 MB', async () => {
    const body = 'x'.repeat(1_000_000);
    await expectProblem(await fetch(`${front.origin}/api/guestbook`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }), 413, 'payload-too-large');
  });

  it('414 for an address of 12 KB', async () => {
    await expectProblem(await get(`/api/guestbook?cursor=${'x'.repeat(12_000)}`), 414, 'uri-too-long');
    await expectPage(await get(`/?cursor=${'x'.repeat(12_000)}`), 414);
  });

  it('431 for a header of 20 KB', async () => {
    await expectProblem(await get('/api/guestbook', { 'X-Padding': 'x'.repeat(20_000) }), 431, 'header-too-large');
    await expectPage(await get('/', { 'X-Padding': 'x'.repeat(20_000) }), 431);
  });

  it('400 for a request that cannot be read', async () => {
    const answer = await rawRequest(front.origin, 'GET /api/guestbook HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:guestbook:problem:bad-request', status: 400 });
  });

  it('404 for what is not served on the public port', async () => {
    await expectProblem(await get('/api/metrics'), 404, 'not-found');
    await expectPage(await get('/_next/static/no-such-file.js'), 404);
  });

  it('405 for a method that the front tier itself refuses', async () => {
    // TRACE is refused by nginx before any location; a static file takes GET and HEAD only.
    const trace = await rawRequest(front.origin, 'TRACE /api/guestbook HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(trace.status).toBe(405);
    expect(trace.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(trace.body)).toMatchObject({ type: 'urn:guestbook:problem:method-not-allowed', status: 405 });
    const statics = (await (await get('/')).text()).match(/\/_next\/static\/[^"]+\.js/)![0];
    await expectPage(await fetch(front.origin + statics, { method: 'POST', body: 'x' }), 405);
  });

  it('502 for an answer from Next.js that cannot be read', async () => {
    await expectProblem(await fetch(`${broken.origin}/api/garbage`), 502, 'bad-gateway');
    await expectPage(await fetch(`${broken.origin}/garbage?posted=1`), 502);
  });

  it('504 for Next.js that does not answer in time', async () => {
    await expectProblem(await fetch(`${broken.origin}/api/silence`), 504, 'gateway-timeout');
  });

  it('503 with Retry-After when no Next.js process is there to answer', async () => {
    const response = await fetch(`${nobody.origin}/api/guestbook`);
    expect(response.headers.get('retry-after')).toBe('1');
    await expectProblem(response, 503, 'overloaded');
    await expectPage(await fetch(`${nobody.origin}/?posted=1`), 503);
  });

  it('503 with Retry-After when the admission queue itself is gone', async () => {
    const alone = await startFrontTier({
      listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
      upstreams: apps.map((app) => new URL(app.origin).host),
      dir: path.join(dir, 'alone'),
      staticDir: path.resolve('.next/static'),
    });
    try {
      alone.queue.kill('SIGKILL');
      await new Promise((resolve) => alone.queue.once('exit', resolve));
      const response = await fetch(`${alone.origin}/api/guestbook/${Date.now()}-0`);
      expect(response.headers.get('retry-after')).toBe('1');
      await expectProblem(response, 503, 'overloaded');
    } finally {
      await alone.stop();
    }
  });
});
