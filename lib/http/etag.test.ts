import { describe, expect, it } from 'vitest';
import { conditionalJson, matchesIfNoneMatch, weakETag } from './etag';

describe('weakETag', () => {
  it('is weak, and the same for the same text only', () => {
    expect(weakETag('a')).toMatch(/^W\/"[\w-]+"$/);
    expect(weakETag('a')).toBe(weakETag('a'));
    expect(weakETag('a')).not.toBe(weakETag('b'));
  });
});

describe('matchesIfNoneMatch', () => {
  const etag = weakETag('body');
  it('compares weakly, in a list, and accepts *', () => {
    expect(matchesIfNoneMatch(etag, etag)).toBe(true);
    expect(matchesIfNoneMatch(etag.slice(2), etag)).toBe(true);
    expect(matchesIfNoneMatch(`W/"other", ${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch('W/"other"', etag)).toBe(false);
    expect(matchesIfNoneMatch(null, etag)).toBe(false);
  });
});

describe('conditionalJson', () => {
  const request = (ifNoneMatch?: string) =>
    new Request('http://localhost/', { headers: ifNoneMatch ? { 'If-None-Match': ifNoneMatch } : {} });

  it('answers 200 with the JSON body and its ETag, then 304 with no body for that ETag', async () => {
    const first = conditionalJson(request(), { entries: [] });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json');
    expect(await first.json()).toEqual({ entries: [] });
    const etag = first.headers.get('etag')!;

    const again = conditionalJson(request(etag), { entries: [] });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');

    expect(conditionalJson(request(etag), { entries: [1] }).status).toBe(200);
  });
});
