import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as single from '@/app/api/guestbook/[id]/route';
import { EntrySchema } from '@/lib/guestbook/schema';
import { withClient } from '../../scripts/redis-server';
import { call, postJson, redisUrls, replicaCaughtUp } from './helpers';

const storedCount = () => withClient(redisUrls().masterUrl, (c) => c.xlen('guestbook:entries'));

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = await response.json();
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:guestbook:problem:/), title: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  return body;
}

describe('POST /api/guestbook', () => {
  it('creates an entry: 201, Location, and the entry as stored', async () => {
    const before = Date.now();
    const response = await postJson(collection.POST, { name: '  Ada  ', message: 'Hello,\r\nworld' });
    expect(response.status).toBe(201);
    const entry = EntrySchema.parse(await response.json());
    expect(entry).toMatchObject({ name: 'Ada', message: 'Hello,\nworld' });
    expect(response.headers.get('location')).toBe(`/api/guestbook/${entry.id}`);
    expect(Date.parse(entry.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    await replicaCaughtUp();
    const fetched = await call(single.GET, `/api/guestbook/${entry.id}`, {}, { id: entry.id });
    expect(await fetched.json()).toEqual(entry);
  });

  it('answers an HTML form post with 303 back to the page, and stores the entry', async () => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'Form user', message: 'Works without JavaScript' }).toString(),
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, 'http://localhost');
    expect(location.pathname).toBe('/');
    const id = location.searchParams.get('posted')!;
    const fetched = await call(single.GET, `/api/guestbook/${id}`, {}, { id });
    expect(await fetched.json()).toMatchObject({ name: 'Form user', message: 'Works without JavaScript' });
  });

  it('sends an invalid form post back to the page with the fields to fix, storing nothing', async () => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: 'name=&message=hi',
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, 'http://localhost');
    expect(location.searchParams.getAll('invalid')).toEqual(['name:required']);
    expect(await storedCount()).toBe(0);
  });
});

describe('input rules', () => {
  const cases: [string, unknown, string[]][] = [
    ['missing fields', {}, ['name', 'message']],
    ['blank after trimming', { name: '   ', message: '\n\t ' }, ['name', 'message']],
    ['a name of 65 characters', { name: 'x'.repeat(65), message: 'ok' }, ['name']],
    ['a message of 501 characters', { name: 'ok', message: 'y'.repeat(501) }, ['message']],
    ['numbers instead of text', { name: 1, message: 2 }, ['name', 'message']],
    ['an array body', [], ['(body)']],
    ['null', null, ['(body)']],
  ];
  it.each(cases)('refuses %s with 400 and errors by field, storing nothing', async (_label, body, fields) => {
    const problem = await expectProblem(await postJson(collection.POST, body), 400);
    expect(Object.keys(problem.errors).sort()).toEqual([...fields].sort());
    expect(await storedCount()).toBe(0);
  });

  it('counts Unicode code points, so 64 emoji make a valid name and 500 CJK characters a valid message', async () => {
    const response = await postJson(collection.POST, { name: '😀'.repeat(64), message: '字'.repeat(500) });
    expect(response.status).toBe(201);
    const problem = await expectProblem(await postJson(collection.POST, { name: '😀'.repeat(65), message: 'x' }), 400);
    expect(problem.errors.name).toEqual(['name must be at most 64 characters']);
  });

  it('removes control characters before the length rules', async () => {
    const response = await postJson(collection.POST, { name: 'A\u0000d\u001ba', message: 'bell\u0007 and\ttab' });
    expect(await response.json()).toMatchObject({ name: 'Ada', message: 'bell and tab' });
  });

  it('ignores unknown fields', async () => {
    const response = await postJson(collection.POST, { name: 'Ada', message: 'Hi', admin: true, id: '1-1' });
    expect(response.status).toBe(201);
    const entry = await response.json();
    expect(Object.keys(entry).sort()).toEqual(['createdAt', 'id', 'message', 'name']);
    expect(entry.id).not.toBe('1-1');
  });
});

describe('error statuses', () => {
  it('400 for a body that is not JSON', async () => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": "Ada", ',
    });
    await expectProblem(response, 400);
  });

  it('400 for a body that is not UTF-8', async () => {
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    await expectProblem(response, 400);
  });

  it.each([['0'], ['101'], ['abc'], ['-1'], ['1.5'], ['']])('400 for limit=%s', async (limit) => {
    const problem = await expectProblem(await call(collection.GET, `/api/guestbook?limit=${limit}`), 400);
    expect(problem.errors.limit).toBeDefined();
  });

  it.each([['garbage!'], ['djE6bm90LWFuLWlk'], ['x'.repeat(300)], ['']])('400 for cursor=%s', async (cursor) => {
    const problem = await expectProblem(await call(collection.GET, `/api/guestbook?cursor=${cursor}`), 400);
    expect(problem.errors.cursor).toBeDefined();
  });

  it('404 for an unknown or malformed id', async () => {
    await expectProblem(await call(single.GET, '/api/guestbook/1-0', {}, { id: '1-0' }), 404);
    await expectProblem(await call(single.GET, '/api/guestbook/nope', {}, { id: 'nope' }), 404);
  });

  it('405 with Allow for a method that a route does not serve', async () => {
    const response = await collection.PUT(new Request('http://localhost/api/guestbook', { method: 'PUT' }), undefined as never);
    await expectProblem(response, 405);
    expect(response.headers.get('allow')).toContain('POST');
    const one = await single.PUT(new Request('http://localhost/api/guestbook/1-0', { method: 'PUT' }), undefined as never);
    await expectProblem(one, 405);
    expect(one.headers.get('allow')).toBe('GET, DELETE, HEAD, OPTIONS');
  });

  it('405 for DELETE while moderation is off (no GUESTBOOK_ADMIN_TOKEN)', async () => {
    const response = await call(single.DELETE, '/api/guestbook/1-0', { method: 'DELETE', headers: { Authorization: 'Bearer anything' } }, { id: '1-0' });
    await expectProblem(response, 405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('413 for a declared length over the limit, without reading the body', async () => {
    let pulled = 0;
    const body = new ReadableStream({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode('x'));
      },
    });
    const response = await call(collection.POST, '/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
      body,
    });
    await expectProblem(response, 413);
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('413 for a streamed body that runs past the limit, stopping at the limit', async () => {
    let sent = 0;
    const chunk = new Uint8Array(1024).fill(0x20);
    const body = new ReadableStream({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await call(collection.POST, '/api/guestbook', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    await expectProblem(response, 413);
    expect(sent).toBeLessThan(64 * 1024);
    expect(await storedCount()).toBe(0);
  });

  it.each([['text/plain'], ['multipart/form-data; boundary=x'], [null]])('415 for Content-Type %s', async (type) => {
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    const response = await call(collection.POST, '/api/guestbook', { method: 'POST', headers, body: 'name=a&message=b' });
    await expectProblem(response, 415);
    expect(await storedCount()).toBe(0);
  });

  it('503 with Retry-After when the master does not answer writes, and works again after', async () => {
    const { masterUrl } = redisUrls();
    await withClient(masterUrl, (c) => c.call('CLIENT', 'PAUSE', '3000', 'WRITE'));
    try {
      const response = await postJson(collection.POST, { name: 'Ada', message: 'while paused' });
      const problem = await expectProblem(response, 503);
      expect(problem.detail).toMatch(/try again/);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await withClient(masterUrl, (c) => c.call('CLIENT', 'UNPAUSE'));
    }
    expect((await postJson(collection.POST, { name: 'Ada', message: 'after' })).status).toBe(201);
  });
});
