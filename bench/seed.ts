import type Redis from 'ioredis';
import { waitForReplicaCatchUp, withClient } from '../scripts/redis-server';
import { STREAM_KEY } from './bare-server';

/**
 * Fills the guestbook straight on the master with pipelined XADDs (the app would take minutes for a
 * million), then waits for the replica that every read goes to.
 */

const BATCH = 10_000;

export interface Seeded {
  length: number;
  /** The id of the entry in the middle of those added: a cursor there reads a deep page. */
  middleId: string;
}

type Urls = { masterUrl: string; replicaUrl: string };

/** Appends `count` entries, as guests would have written them; answers the id of the middle one. */
async function append(master: Redis, count: number): Promise<string> {
  const middle = Math.floor(count / 2);
  let middleId = '';
  for (let start = 0; start < count; start += BATCH) {
    const pipeline = master.pipeline();
    const end = Math.min(count, start + BATCH);
    for (let i = start; i < end; i++) pipeline.xadd(STREAM_KEY, '*', 'name', `Guest ${i % 97}`, 'message', `Hello, guestbook! Entry number ${i}.`);
    const replies = (await pipeline.exec()) ?? [];
    if (middle >= start && middle < end) middleId = String(replies[middle - start]?.[1]);
  }
  return middleId;
}

export async function seedTo(urls: Urls, length: number): Promise<Seeded> {
  const seeded = await withClient(urls.masterUrl, async (master) => {
    const missing = length - (await master.xlen(STREAM_KEY));
    // The deep page's cursor is one of the entries added here.
    if (missing < 2) throw new Error(`the guestbook already holds about ${length} entries: ask for more`);
    const middleId = await append(master, missing);
    return { length: await master.xlen(STREAM_KEY), middleId };
  });
  await waitForReplicaCatchUp(urls.masterUrl, urls.replicaUrl, 120_000);
  return seeded;
}

/** Exactly `length` entries, whatever the guestbook held before. */
export async function reseedWith(urls: Urls, length: number): Promise<void> {
  await withClient(urls.masterUrl, async (master) => {
    await master.del(STREAM_KEY);
    await append(master, length);
  });
  await waitForReplicaCatchUp(urls.masterUrl, urls.replicaUrl, 120_000);
}

/** Keeps only the newest entries, so that a phase runs against the size that it names. */
export async function trimTo(urls: Urls, length: number): Promise<void> {
  await withClient(urls.masterUrl, (master) => master.xtrim(STREAM_KEY, 'MAXLEN', length));
  await waitForReplicaCatchUp(urls.masterUrl, urls.replicaUrl);
}
