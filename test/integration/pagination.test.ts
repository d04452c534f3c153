import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import type { Entry, EntryPage } from '@/lib/guestbook/schema';
import { call, postJson, replicaCaughtUp } from './helpers';

async function page(query: string): Promise<EntryPage> {
  const response = await call(collection.GET, `/api/guestbook?${query}`);
  expect(response.status).toBe(200);
  return response.json();
}

async function sign(count: number, label: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  // One after another, so that their order is known.
  for (let i = 0; i < count; i++) entries.push(await (await postJson(collection.POST, { name: label, message: `${label} ${i}` })).json());
  return entries;
}

describe('cursor pagination', () => {
  it('says kindly that an empty guestbook is empty', async () => {
    expect(await page('')).toEqual({ entries: [], nextCursor: null });
  });

  it('defaults to 20 newest first', async () => {
    const written = await sign(25, 'early');
    await replicaCaughtUp();
    const first = await page('');
    expect(first.entries.map((entry) => entry.id)).toEqual(written.slice(-20).reverse().map((entry) => entry.id));
    expect(first.nextCursor).not.toBeNull();
  });

  it('walks every page with no entry missing or repeated while new entries arrive', async () => {
    const original = await sign(47, 'original');
    await replicaCaughtUp();

    const seen: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const current: EntryPage = await page(`limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...current.entries);
      cursor = current.nextCursor;
      pages++;
      // Newcomers arrive between page reads, as they would from other visitors.
      await sign(3, `newcomer-${pages}`);
      await replicaCaughtUp();
    } while (cursor);

    expect(pages).toBe(5);
    expect(seen.map((entry) => entry.id)).toEqual(original.map((entry) => entry.id).reverse());
  });

  it('ends with a null cursor exactly on the last entry', async () => {
    await sign(10, 'exact');
    await replicaCaughtUp();
    const first = await page('limit=5');
    const second = await page(`limit=5&cursor=${first.nextCursor}`);
    expect(second.entries).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
  });
});
