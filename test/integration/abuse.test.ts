import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as single from '@/app/api/guestbook/[id]/route';
import { withClient } from '../../scripts/redis-server';
import type { EntryPage } from '@/lib/guestbook/schema';
import { call, metric, postJson, redisUrls, replicaCaughtUp } from './helpers';

// This file's own configuration, read by the app on its first request.
process.env.RATE_LIMIT_WRITES_PER_MINUTE = '3';
process.env.TRUST_PROXY = '1';
process.env.GUESTBOOK_ADMIN_TOKEN = 'moderator-token-0123456789';

const storedMessages = () =>
  withClient(redisUrls().masterUrl, async (c) => (await c.xrange('guestbook:entries', '-', '+')).map(([, fields]) => fields[3]));
// Behind one trusted proxy, the client is the address that the proxy appended before ours.
const from = (client: string) => ({ 'X-Forwarded-For': `${client}, 10.0.0.2` });
let clients = 0;
const freshClient = () => from(`192.0.2.${++clients}`);

describe('rate limits', () => {
  it('answer the fourth post of a minute with 429, Retry-After and RateLimit headers, per client, counted in Redis', async () => {
    const client = freshClient();
    for (let i = 0; i < 3; i++) {
      const response = await postJson(collection.POST, { name: 'Ada', message: `post ${i}` }, client);
      expect(response.status).toBe(201);
      expect(response.headers.get('ratelimit')).toMatch(new RegExp(`^limit=3, remaining=${2 - i}, reset=\\d+$`));
      expect(response.headers.get('ratelimit-policy')).toBe('3;w=60');
    }
    const shed = await metric('guestbook_requests_shed_total', { reason: 'rate_limited' });
    const refused = await postJson(collection.POST, { name: 'Ada', message: 'one too many' }, client);
    expect(refused.status).toBe(429);
    expect((await metric('guestbook_requests_shed_total', { reason: 'rate_limited' })) - shed).toBe(1);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit')).toMatch(/^limit=3, remaining=0, reset=\d+$/);
    expect(await storedMessages()).not.toContain('one too many');

    // Another client is not affected.
    expect((await postJson(collection.POST, { name: 'Bob', message: 'hello' }, freshClient())).status).toBe(201);
    // The count lives in Redis, shared by every frontend process.
    const keys = await withClient(redisUrls().masterUrl, (c) => c.keys('guestbook:ratelimit*'));
    expect(keys.length).toBeGreaterThanOrEqual(2);
  });

  it('cannot be dodged by forging X-Forwarded-For: only the hops that we trust are read', async () => {
    const proxy = '198.51.100.7';
    for (let i = 0; i < 3; i++) {
      // The client forges a different first address each time; the proxy's own hop stays the same.
      const headers = { 'X-Forwarded-For': `203.0.113.${i}, ${proxy}, 10.0.0.2` };
      expect((await postJson(collection.POST, { name: 'Eve', message: `forged ${i}` }, headers)).status).toBe(201);
    }
    const headers = { 'X-Forwarded-For': `203.0.113.99, ${proxy}, 10.0.0.2` };
    expect((await postJson(collection.POST, { name: 'Eve', message: 'forged again' }, headers)).status).toBe(429);
  });

  it('send a form post over the limit back to the page with when to try again', async () => {
    const client = freshClient();
    const form = () =>
      call(collection.POST, '/api/guestbook', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...client },
        body: 'name=Ada&message=form',
      });
    for (let i = 0; i < 3; i++) expect((await form()).status).toBe(303);
    const refused = await form();
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toMatch(/^\/\?retry=rateLimited%3A\d+#sign$/);
  });
});

describe('idempotent posts', () => {
  const post = (key: string, body: object, client = freshClient()) => postJson(collection.POST, body, { 'Idempotency-Key': key, ...client });

  it('a retried post with the same key and body makes one entry and returns it again', async () => {
    const first = await post('key-1', { name: 'Ada', message: 'once' });
    const again = await post('key-1', { name: 'Ada', message: 'once' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect((await storedMessages()).filter((message) => message === 'once')).toHaveLength(1);
  });

  it('racing retries with one key still make exactly one entry', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => post('key-race', { name: 'Ada', message: 'raced' })));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
    const ids = new Set(await Promise.all(responses.map(async (response) => (await response.json()).id)));
    expect(ids.size).toBe(1);
    expect((await storedMessages()).filter((message) => message === 'raced')).toHaveLength(1);
  });

  it('the same key with another body is refused with 422, and nothing is stored', async () => {
    await post('key-2', { name: 'Ada', message: 'original' });
    const reused = await post('key-2', { name: 'Ada', message: 'something else' });
    expect(reused.status).toBe(422);
    expect((await reused.json()).detail).toMatch(/Idempotency-Key was already used/);
    expect(await storedMessages()).not.toContain('something else');
  });

  it('a malformed key is a 400', async () => {
    const response = await post('has spaces and ünïcode', { name: 'Ada', message: 'x' });
    expect(response.status).toBe(400);
    expect((await response.json()).errors).toHaveProperty('Idempotency-Key');
  });
});

describe('hostile input', () => {
  it('the honeypot field stops a bot: JSON is refused, a form is sent back, nothing is stored', async () => {
    const json = await postJson(collection.POST, { name: 'Bot', message: 'buy now', website: 'http://spam.example' }, freshClient());
    expect(json.status).toBe(400);
    const form = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...freshClient() },
      body: 'name=Bot&message=buy+now&website=http%3A%2F%2Fspam.example',
    });
    expect(form.status).toBe(303);
    expect(await storedMessages()).not.toContain('buy now');
  });

  it.each([
    [{ Origin: 'https://evil.example' }],
    [{ 'Sec-Fetch-Site': 'cross-site' }],
    [{ Origin: 'null' }],
  ])('refuses a form post from another origin (%j) with 403', async (headers) => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Host: 'localhost', ...headers, ...freshClient() },
      body: 'name=Mallory&message=cross-site',
    });
    expect(response.status).toBe(403);
    expect(await storedMessages()).not.toContain('cross-site');
  });

  it('accepts a form post from the page itself', async () => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', 'Sec-Fetch-Site': 'same-origin', ...freshClient() },
      body: 'name=Ada&message=same-origin',
    });
    expect(response.status).toBe(303);
    expect(await storedMessages()).toContain('same-origin');
  });
});

describe('moderation', () => {
  const remove = (id: string, authorization?: string) =>
    call(single.DELETE, `/api/guestbook/${id}`, { method: 'DELETE', headers: authorization ? { Authorization: authorization } : {} }, { id });

  it('needs the token: 401 without it or with a wrong one', async () => {
    const { id } = await (await postJson(collection.POST, { name: 'Ada', message: 'keep me' }, freshClient())).json();
    const missing = await remove(id);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await remove(id, 'Bearer moderator-token-0123456788')).status).toBe(401);
    expect((await remove(id, 'Basic bW9kZXJhdG9y')).status).toBe(401);
    expect(await storedMessages()).toContain('keep me');
  });

  it('removes an entry from every page and from lookups', async () => {
    const { id } = await (await postJson(collection.POST, { name: 'Spammer', message: 'remove me' }, freshClient())).json();
    const removed = await remove(id, 'Bearer moderator-token-0123456789');
    expect(removed.status).toBe(204);
    await replicaCaughtUp();
    const { entries } = await (await call(collection.GET, '/api/guestbook?limit=100')).json();
    expect(entries.map((entry: { id: string }) => entry.id)).not.toContain(id);
    expect((await call(single.GET, `/api/guestbook/${id}`, {}, { id })).status).toBe(404);
    expect((await remove(id, 'Bearer moderator-token-0123456789')).status).toBe(404);
  });

  it('hands out new links to older pages after a deletion, so no cache can answer them with the deleted entry', async () => {
    for (let i = 0; i < 3; i++) await postJson(collection.POST, { name: 'Pager', message: `page filler ${i}` }, freshClient());
    const { id } = await (await postJson(collection.POST, { name: 'Spammer', message: 'on an older page' }, freshClient())).json();
    await postJson(collection.POST, { name: 'Pager', message: 'newest' }, freshClient());
    await replicaCaughtUp();
    const firstPage = async () => (await (await call(collection.GET, '/api/guestbook?limit=1')).json()) as EntryPage;
    const before = await firstPage();

    // Nothing deleted (no such entry, or no token): the same links.
    expect((await remove('1-0', 'Bearer moderator-token-0123456789')).status).toBe(404);
    expect((await remove(id)).status).toBe(401);
    await replicaCaughtUp();
    expect((await firstPage()).nextCursor).toBe(before.nextCursor);

    expect((await remove(id, 'Bearer moderator-token-0123456789')).status).toBe(204);
    await replicaCaughtUp();
    const after = await firstPage();
    expect(after.entries).toEqual(before.entries);
    expect(after.nextCursor).not.toBe(before.nextCursor);
    const older = (await (await call(collection.GET, `/api/guestbook?limit=100&cursor=${after.nextCursor}`)).json()) as EntryPage;
    expect(older.entries.map((entry) => entry.id)).not.toContain(id);
  });
});

describe("the app's Redis user", () => {
  it('may run what the app needs and nothing else', async () => {
    const { appMasterUrl } = redisUrls();
    await expect(withClient(appMasterUrl, (c) => c.flushall())).rejects.toThrow(/NOPERM/);
    await expect(withClient(appMasterUrl, (c) => c.config('SET', 'appendonly', 'no'))).rejects.toThrow(/NOPERM/);
    await expect(withClient(appMasterUrl, (c) => c.keys('*'))).rejects.toThrow(/NOPERM/);
    await expect(withClient(appMasterUrl, (c) => c.get('other:key'))).rejects.toThrow(/NOPERM/);
    await expect(withClient(appMasterUrl, (c) => c.call('SHUTDOWN'))).rejects.toThrow(/NOPERM/);
    expect(await withClient(appMasterUrl, (c) => c.xrevrange('guestbook:entries', '+', '-', 'COUNT', 1))).toBeDefined();
  });
});
