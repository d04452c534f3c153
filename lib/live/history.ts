import 'server-only';
import type Redis from 'ioredis';
import { onMaster, onReplica } from '@/lib/redis';
import { STREAM_KEY, toEntry, type StreamRecord } from '@/lib/guestbook/store';
import type { Entry } from '@/lib/guestbook/schema';

/**
 * The entries after `after` up to and including `until`, oldest first, at most `limit`: what a
 * subscriber missed while it was away. The feed has already seen `until`, so a replica that stops
 * short of it is lagging, and the master answers instead.
 */
export async function readHistory(after: string, until: string, limit: number): Promise<Entry[]> {
  const read = (client: Redis) => client.xrange(STREAM_KEY, `(${after}`, until, 'COUNT', limit) as Promise<StreamRecord[]>;
  const records = await onReplica(read);
  const complete = records.length === limit || records.at(-1)?.[0] === until;
  return (complete ? records : await onMaster(read)).map(toEntry);
}
