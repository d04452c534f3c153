import { beforeEach, describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as single from '@/app/api/guestbook/[id]/route';
import { waitForReplicaLink, withClient } from '../../scripts/redis-server';
import { call, commandCalls, postJson, redisUrls, replicaCaughtUp, resetCommandStats } from './helpers';

describe('writes go to the master, reads come from the replica', () => {
  beforeEach(resetCommandStats);

  it('runs against a real master and a linked replica', async () => {
    const { masterUrl, replicaUrl } = redisUrls();
    const [masterRole] = (await withClient(masterUrl, (c) => c.call('ROLE'))) as [string];
    const [replicaRole, , , linkState] = (await withClient(replicaUrl, (c) => c.call('ROLE'))) as string[];
    expect(masterRole).toBe('master');
    expect(replicaRole).toBe('slave');
    expect(linkState).toBe('connected');
  });

  it('appends on the master only', async () => {
    const response = await postJson(collection.POST, { name: 'Ada', message: 'Hello' });
    expect(response.status).toBe(201);
    const { masterUrl, replicaUrl } = redisUrls();
    expect((await commandCalls(masterUrl)).xadd).toBe(1);
    // The replica holds the entry only through replication.
    await replicaCaughtUp();
    expect(await withClient(replicaUrl, (c) => c.xlen('guestbook:entries'))).toBe(1);
  });

  it('lists from the replica, not the master', async () => {
    await postJson(collection.POST, { name: 'Ada', message: 'Hello' });
    await replicaCaughtUp();
    await resetCommandStats();
    const response = await call(collection.GET, '/api/guestbook');
    expect(response.status).toBe(200);
    const { entries } = await response.json();
    expect(entries.map((entry: { message: string }) => entry.message)).toEqual(['Hello']);
    const { masterUrl, replicaUrl } = redisUrls();
    expect((await commandCalls(replicaUrl)).xrevrange).toBe(1);
    expect((await commandCalls(masterUrl)).xrevrange).toBeUndefined();
  });

  it('gets one entry from the replica once it has it', async () => {
    const created = await (await postJson(collection.POST, { name: 'Ada', message: 'Hello' })).json();
    await replicaCaughtUp();
    await resetCommandStats();
    const response = await call(single.GET, `/api/guestbook/${created.id}`, {}, { id: created.id });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(created);
    const { masterUrl, replicaUrl } = redisUrls();
    expect((await commandCalls(replicaUrl)).xrange).toBe(1);
    expect((await commandCalls(masterUrl)).xrange).toBeUndefined();
  });

  it('finds an entry that the replica does not hold yet on the master (read-your-writes)', async () => {
    const { replicaUrl } = redisUrls();
    // Cut the replica's link so that it cannot have the entry, as a lagging replica would not.
    await withClient(replicaUrl, (c) => c.call('REPLICAOF', 'NO', 'ONE'));
    try {
      const created = await (await postJson(collection.POST, { name: 'Ada', message: 'Just now' })).json();
      const response = await call(single.GET, `/api/guestbook/${created.id}`, {}, { id: created.id });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(created);
    } finally {
      const masterPort = new URL(redisUrls().masterUrl).port;
      await withClient(replicaUrl, (c) => c.call('REPLICAOF', '127.0.0.1', masterPort));
      await waitForReplicaLink(replicaUrl);
    }
  });
});
