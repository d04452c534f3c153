import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips an entry id through an opaque, URL-safe token', () => {
    const cursor = encodeCursor('1764201600000-12');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('1764201600000');
    expect(decodeCursor(cursor)).toBe('1764201600000-12');
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['no version prefix', Buffer.from('1764201600000-0').toString('base64url')],
    ['an unknown version', Buffer.from('v2:1764201600000-0').toString('base64url')],
    ['a prefix but no id', Buffer.from('v1:').toString('base64url')],
    ['a stream range token', Buffer.from('v1:+').toString('base64url')],
    ['an id with a range prefix', Buffer.from('v1:(1-0').toString('base64url')],
    ['empty', ''],
  ])('refuses %s', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
