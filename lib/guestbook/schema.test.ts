import { describe, expect, it } from 'vitest';
import { ListQuerySchema, NewEntrySchema } from './schema';
import { codePointLength, normalizeText } from './text';

describe('normalizeText', () => {
  it('composes to NFC', () => {
    expect(normalizeText('Cafe\u0301', { multiline: true })).toBe('Caf\u00e9');
  });
  it('keeps line breaks in messages, as \\n, and folds them in names', () => {
    expect(normalizeText('a\r\nb\rc\nd', { multiline: true })).toBe('a\nb\nc\nd');
    expect(normalizeText('a\r\nb', { multiline: false })).toBe('a b');
  });
  it('removes control characters but keeps format characters that RTL text needs', () => {
    expect(normalizeText('a\u0000b\u001b[31mc\u007f\u0085d', { multiline: true })).toBe('ab[31mcd');
    expect(normalizeText('\u200Fשלום\u200E', { multiline: true })).toBe('\u200Fשלום\u200E');
  });
  it('replaces a lone surrogate, which UTF-8 cannot carry', () => {
    expect(normalizeText('a\uD800b', { multiline: true })).toBe('a\uFFFDb');
  });
  it('turns tabs into spaces and trims', () => {
    expect(normalizeText('\t a\tb \n', { multiline: true })).toBe('a b');
  });
});

describe('codePointLength', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('字')).toBe(1);
    expect(codePointLength('')).toBe(0);
  });
});

describe('NewEntrySchema', () => {
  it('accepts the limits exactly and refuses one more', () => {
    expect(NewEntrySchema.safeParse({ name: 'n'.repeat(64), message: 'm'.repeat(500) }).success).toBe(true);
    expect(NewEntrySchema.safeParse({ name: 'n'.repeat(65), message: 'm' }).success).toBe(false);
    expect(NewEntrySchema.safeParse({ name: 'n', message: 'm'.repeat(501) }).success).toBe(false);
  });

  it('measures after trimming', () => {
    expect(NewEntrySchema.parse({ name: `  ${'n'.repeat(64)}  `, message: 'x' }).name).toHaveLength(64);
  });

  it('drops unknown fields', () => {
    expect(NewEntrySchema.parse({ name: 'a', message: 'b', extra: 1 })).toEqual({ name: 'a', message: 'b' });
  });
});

describe('ListQuerySchema', () => {
  it('defaults the limit to 20', () => {
    expect(ListQuerySchema.parse({})).toEqual({ limit: 20 });
  });
  it.each(['1', '100', '020'])('accepts limit=%s', (limit) => {
    expect(ListQuerySchema.safeParse({ limit }).success).toBe(true);
  });
  it.each(['0', '101', '1e2', ' 5', '5.0', '-5', 'x'])('refuses limit=%s', (limit) => {
    expect(ListQuerySchema.safeParse({ limit }).success).toBe(false);
  });
});
