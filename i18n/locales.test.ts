import { describe, expect, it } from 'vitest';
import en from '@/messages/en.json';
import zh from '@/messages/zh-CN.json';
import { negotiateLocale } from './locales';

const keys = (messages: object, prefix = ''): string[] =>
  Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' ? keys(value as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  );

describe('negotiateLocale', () => {
  it.each([
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['en-GB,en;q=0.9', 'en'],
    ['fr-FR,zh;q=0.5', 'zh-CN'],
    ['de-DE', 'en'],
    ['', 'en'],
    [null, 'en'],
    ['%%%;q=bogus,,', 'en'],
  ])('Accept-Language %j gives %s', (header, locale) => {
    expect(negotiateLocale(undefined, header)).toBe(locale);
  });

  it("prefers the visitor's remembered choice, and ignores a forged one", () => {
    expect(negotiateLocale('zh-CN', 'en-US')).toBe('zh-CN');
    expect(negotiateLocale('en', 'zh-CN')).toBe('en');
    expect(negotiateLocale('../../etc/passwd', 'zh-CN')).toBe('zh-CN');
  });
});

describe('messages', () => {
  it('has every English message in Chinese too, and nothing more', () => {
    expect(keys(zh).sort()).toEqual(keys(en).sort());
  });
});
