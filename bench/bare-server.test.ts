import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitForReplicaCatchUp } from '../scripts/redis-server';
import { createBareServer, type BareServer } from './bare-server';

// The benchmark's floor must do the app's work, or the ratios to it mean nothing: a smoke test of
// its list and append against the integration run's real master and replica, as the app's user.
describe('the bare floor server', () => {
  const redis = inject('redis');
  let bare: BareServer;
  let origin: string;

  beforeAll(async () => {
    bare = createBareServer({ masterUrl: redis.appMasterUrl, replicaUrl: redis.appReplicaUrl });
    await new Promise<void>((resolve) => bare.server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
  });
  afterAll(() => bare.close());

  const append = async (n: number) => {
    const response = await fetch(`${origin}/append`, { method: 'POST', body: JSON.stringify({ name: `Guest ${n}`, message: `Hello ${n}` }) });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; name: string; message: string; createdAt: string };
  };
  const list = async (after?: string) =>
    (await (await fetch(`${origin}/list${after ? `?after=${after}` : ''}`)).json()) as { entries: { id: string; name: string }[]; nextCursor: string | null };

  it('appends on the master and lists pages of 20 from the replica, newest first', async () => {
    const added = [];
    for (let n = 0; n < 25; n++) added.push(await append(n));
    expect(added[0]).toMatchObject({ name: 'Guest 0', message: 'Hello 0', createdAt: expect.stringMatching(/Z$/) });
    await waitForReplicaCatchUp(redis.masterUrl, redis.replicaUrl);

    const first = await list();
    expect(first.entries.map((entry) => entry.name)).toEqual(added.slice(5).reverse().map((entry) => entry.name));
    expect(first.nextCursor).toBe(added[5]!.id);
    const second = await list(first.nextCursor!);
    expect(second).toEqual({ entries: added.slice(0, 5).reverse(), nextCursor: null });
  });
});
