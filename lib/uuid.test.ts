import { describe, expect, it, vi } from 'vitest';
import { randomUuid } from './uuid';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid', () => {
  it('makes version 4 UUIDs, different every time', () => {
    const keys = Array.from({ length: 1000 }, randomUuid);
    for (const key of keys) expect(key).toMatch(V4);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('needs no crypto.randomUUID, which pages over plain HTTP lack', () => {
    vi.spyOn(crypto, 'randomUUID').mockImplementation(() => {
      throw new Error('not a secure context');
    });
    try {
      expect(randomUuid()).toMatch(V4);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
