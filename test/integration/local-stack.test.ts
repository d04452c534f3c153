import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisPair, withClient, type RedisPair } from '../../scripts/redis-server';

/** The Redis pair that `npm start` runs: its data must outlive the processes. */
describe('the local stack', () => {
  let pair: RedisPair | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-stack-'));
  afterEach(async () => {
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every entry across a restart of master and replica', async () => {
    pair = await startRedisPair({ dir, password: 'stack-test', appPassword: 'stack-app' });
    const ids: string[] = [];
    await withClient(pair.master.url, async (master) => {
      for (let i = 0; i < 50; i++) ids.push((await master.xadd('guestbook:entries', '*', 'name', 'n', 'message', `m${i}`))!);
    });
    await pair.stop();

    pair = await startRedisPair({ dir, password: 'stack-test', appPassword: 'stack-app' });
    const fromMaster = await withClient(pair.master.url, (c) => c.xrange('guestbook:entries', '-', '+'));
    expect(fromMaster.map(([id]) => id)).toEqual(ids);
    const fromReplica = await withClient(pair.replica.url, (c) => c.xrange('guestbook:entries', '-', '+'));
    expect(fromReplica.map(([id]) => id)).toEqual(ids);
  });

  it('requires the password', async () => {
    pair = await startRedisPair({ dir, password: 'stack-test', appPassword: 'stack-app' });
    const anonymous = `redis://127.0.0.1:${pair.master.port}`;
    await expect(withClient(anonymous, (c) => c.get('x'))).rejects.toThrow(/NOAUTH/);
  });
});
