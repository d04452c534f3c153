import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as single from '@/app/api/guestbook/[id]/route';
import { call, postJson, replicaCaughtUp } from './helpers';

const texts = {
  chinese: { name: '王小明', message: '你好，世界！欢迎来到留言簿。' },
  emoji: { name: '👩‍👩‍👧‍👦 family', message: 'Flags 🇨🇳🇫🇷, skin tones 👋🏽, keycaps 1️⃣ and ❤️' },
  arabic: { name: 'مريم', message: 'مرحبا بالعالم! هذا سجل الزوار.' },
  hebrew: { name: 'דוד', message: 'שלום עולם — mixed עם English 123' },
  rtlMarks: { name: '\u202Bنص\u202C', message: 'left \u200Fright\u200E mark' },
  html: { name: '<b>bold</b>', message: '<img src=x onerror=alert(1)> & "quotes" \'single\'' },
  multiline: { name: 'Poet', message: 'line one\nline two\n\nline four' },
};

describe('Unicode text is kept exactly', () => {
  it.each(Object.entries(texts))('%s survives a write and a read, by id and in the list', async (_label, input) => {
    const created = await (await postJson(collection.POST, input)).json();
    expect(created).toMatchObject(input);
    await replicaCaughtUp();
    const one = await (await call(single.GET, `/api/guestbook/${created.id}`, {}, { id: created.id })).json();
    expect(one).toEqual(created);
    const { entries } = await (await call(collection.GET, '/api/guestbook')).json();
    expect(entries).toEqual([created]);
  });

  it('stores text in NFC, so that the same words written two ways are equal', async () => {
    const decomposed = 'Cafe\u0301 Zu\u0308rich';
    const created = await (await postJson(collection.POST, { name: decomposed, message: decomposed })).json();
    expect(created.name).toBe('Café Zürich'.normalize('NFC'));
    expect(created.name).toBe(decomposed.normalize('NFC'));
  });
});
