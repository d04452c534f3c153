import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import { withClient } from '../../scripts/redis-server';
import { call, postJson, redisUrls, replicaCaughtUp } from './helpers';

describe('concurrent posts', () => {
  it('two hundred at once give exactly two hundred entries, none lost, none duplicated', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    const responses = await Promise.all(messages.map((message, i) => postJson(collection.POST, { name: `visitor ${i}`, message })));
    expect(responses.map((response) => response.status)).toEqual(messages.map(() => 201));
    const ids = await Promise.all(responses.map(async (response) => (await response.json()).id));
    expect(new Set(ids).size).toBe(200);

    expect(await withClient(redisUrls().masterUrl, (c) => c.xlen('guestbook:entries'))).toBe(200);
    await replicaCaughtUp();
    const { entries, nextCursor } = await (await call(collection.GET, '/api/guestbook?limit=100')).json();
    const second = await (await call(collection.GET, `/api/guestbook?limit=100&cursor=${nextCursor}`)).json();
    const listed = [...entries, ...second.entries].map((entry: { message: string }) => entry.message);
    expect(listed.sort()).toEqual([...messages].sort());
    expect(second.nextCursor).toBeNull();
  });
});
