import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as single from '@/app/api/guestbook/[id]/route';
import { LIMITS } from '@/lib/guestbook/schema';
import { codePointLength } from '@/lib/guestbook/text';
import { withClient } from '../../scripts/redis-server';
import { call, redisUrls } from './helpers';

/**
 * Thousands of random and malformed requests — bodies, headers, query strings, cursors, ids — against
 * the real handlers and the real Redis pair: none may answer 5xx, none may hang, and nothing that
 * breaks the input rules may be stored.
 */

const HANG_MS = 5_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const handlers = { collection, single };

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 600 }),
  fc.constantFrom('', ' ', '\u0000', '\r\n', '<script>alert(1)</script>', '😀'.repeat(65), 'x'.repeat(501), '\uD800', 'e\u0301'),
);
const jsonBody = fc.oneof(
  fc.record({ name: fc.oneof(text, fc.jsonValue()), message: fc.oneof(text, fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ name: text, message: text, website: fc.oneof(fc.constant(''), text) }),
  fc.jsonValue(),
).map((value) => JSON.stringify(value));
const body = fc.oneof(
  jsonBody,
  fc.tuple(text, text).map(([name, message]) => new URLSearchParams({ name, message }).toString()),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constant(undefined),
);
const contentType = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain',
  'multipart/form-data; boundary=x', 'application/merge-patch+json', '', 'application/json;;;', undefined,
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const query = fc.record(
  { limit: fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), text), cursor: fc.oneof(text, fc.base64String({ maxLength: 40 })) },
  { requiredKeys: [] },
);
const request = fc.record({
  target: fc.constantFrom('collection', 'single') as fc.Arbitrary<keyof typeof handlers>,
  method: fc.constantFrom(...METHODS),
  // A URL path cannot carry a lone surrogate, so ids are well-formed text.
  id: fc.oneof(fc.constant('1-0'), fc.stringMatching(/^\d{1,20}-\d{1,20}$/), text.filter((value) => value.isWellFormed())),
  query,
  contentType,
  body,
  idempotencyKey: fc.option(headerValue, { nil: undefined }),
  origin: fc.option(fc.constantFrom('http://localhost', 'https://evil.example', 'null', 'not a url'), { nil: undefined }),
  contentLength: fc.option(fc.constantFrom('0', '5', '99999999', '-1', 'abc'), { nil: undefined }),
});

// Random requests seldom make a valid entry; these do, with random text, so stores are fuzzed too.
const plausiblePost = fc.record({
  target: fc.constant('collection' as const),
  method: fc.constant('POST' as const),
  id: fc.constant('1-0'),
  query: fc.constant({}),
  contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded'),
  body: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 520 })),
  idempotencyKey: fc.option(fc.uuid(), { nil: undefined }),
  origin: fc.constantFrom(undefined, 'http://localhost'),
  contentLength: fc.constant(undefined),
}).map((generated) => {
  const [name, message] = generated.body;
  const body = generated.contentType === 'application/json' ? JSON.stringify({ name, message }) : new URLSearchParams({ name, message }).toString();
  return { ...generated, body };
});

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;
const anyRequest: fc.Arbitrary<Generated> = fc.oneof({ arbitrary: request, weight: 3 }, { arbitrary: plausiblePost, weight: 1 });

async function send(generated: Generated): Promise<Response> {
  const handler = handlers[generated.target][generated.method as 'GET'] as unknown as Parameters<typeof call>[0];
  const search = new URLSearchParams(Object.entries(generated.query).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const headers: Record<string, string> = { Host: 'localhost' };
  if (generated.contentType !== undefined) headers['Content-Type'] = generated.contentType;
  if (generated.idempotencyKey !== undefined) headers['Idempotency-Key'] = generated.idempotencyKey;
  if (generated.origin !== undefined) headers.Origin = generated.origin;
  if (generated.contentLength !== undefined) headers['Content-Length'] = generated.contentLength;
  const path = generated.target === 'collection' ? `/api/guestbook?${search}` : `/api/guestbook/${encodeURIComponent(generated.id)}`;
  const hasBody = generated.method !== 'GET' && generated.body !== undefined;
  const response = call(handler, path, { method: generated.method, headers, ...(hasBody && { body: generated.body }) }, { id: generated.id });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS).unref());
  return Promise.race([response, timeout]);
}

function assertValidEntry([, fields]: [string, string[]]) {
  const [nameKey, name = '', messageKey, message = ''] = fields;
  expect([nameKey, messageKey]).toEqual(['name', 'message']);
  for (const [value, limit] of [[name, LIMITS.name], [message, LIMITS.message]] as const) {
    expect(codePointLength(value)).toBeGreaterThanOrEqual(1);
    expect(codePointLength(value)).toBeLessThanOrEqual(limit);
    expect(value).toBe(value.normalize('NFC'));
    expect(value).toBe(value.trim());
    expect(value).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/);
    expect(value.isWellFormed()).toBe(true);
  }
  expect(name).not.toContain('\n');
}

describe('fuzzing the API', () => {
  it('answers thousands of random requests without a 5xx or a hang, and stores only valid entries', { timeout: 180_000 }, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(anyRequest, async (generated) => {
        const response = await send(generated);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, JSON.stringify(generated).slice(0, 500)).toBeLessThan(500);
      }),
      { numRuns: 3000 },
    );
    // The run must have reached both the refusals and the successes, or it proved little.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 201, 303, 400, 404, 405, 415]));

    const stored = await withClient(redisUrls().masterUrl, (c) => c.xrange('guestbook:entries', '-', '+'));
    expect(stored.length).toBeGreaterThan(0);
    for (const record of stored) assertValidEntry(record);
  });
});
