import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';

const token = (text: string) => Buffer.from(text).toString('base64url');

describe('cursor', () => {
  it('round-trips an entry id through an opaque, URL-safe token', () => {
    const cursor = encodeCursor('1764201600000-12', 3);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('1764201600000');
    expect(decodeCursor(cursor)).toBe('1764201600000-12');
  });

  it('changes with the moderation generation, for the same entry', () => {
    expect(encodeCursor('1764201600000-12', 4)).not.toBe(encodeCursor('1764201600000-12', 3));
    expect(decodeCursor(encodeCursor('1764201600000-12', 4))).toBe('1764201600000-12');
  });

  it('still takes the cursors of links made before generations (v1)', () => {
    expect(decodeCursor(token('v1:1764201600000-12'))).toBe('1764201600000-12');
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['no version prefix', token('1764201600000-0')],
    ['an unknown version', token('v3:1764201600000-0')],
    ['a prefix but no id', token('v1:')],
    ['a stream range token', token('v1:+')],
    ['an id with a range prefix', token('v1:(1-0')],
    ['a v2 cursor without a generation', token('v2:1764201600000-0')],
    ['a v2 cursor with a negative generation', token('v2:-1:1764201600000-0')],
    ['a v2 cursor with a generation that is not a number', token('v2:x:1764201600000-0')],
    ['empty', ''],
  ])('refuses %s', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
