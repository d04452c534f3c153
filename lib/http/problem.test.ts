import { describe, expect, it } from 'vitest';
import { AppError, problemResponse } from './problem';

describe('problemResponse', () => {
  it('answers an AppError with its status, RFC 9457 members, field errors and headers', async () => {
    const response = problemResponse(
      new AppError('storage_unavailable', 'try again', { retryAfterSeconds: 2, errors: { name: ['bad'] } }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({
      type: 'urn:guestbook:problem:storage-unavailable',
      title: 'Storage unavailable',
      status: 503,
      detail: 'try again',
      errors: { name: ['bad'] },
    });
  });

  it('answers anything else with a 500 that tells nothing of the cause', async () => {
    const response = problemResponse(new TypeError('secret internals at /srv/app/lib/x.ts:12'));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('x.ts');
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal error' });
  });
});
