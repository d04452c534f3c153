import 'server-only';
import type Redis from 'ioredis';
import { onMaster, onReplica } from '@/lib/redis';
import { decodeCursor, encodeCursor } from './cursor';
import { AppError } from '@/lib/http/problem';
import type { Entry, EntryPage, NewEntry } from './schema';

/**
 * The guestbook is one Redis stream: XADD appends an entry atomically on the master and gives it a
 * time-ordered id; XREVRANGE from a cursor reads a page in O(log N + page) on a replica, whatever the
 * length of the guestbook. See docs/decisions/001-one-redis-stream.md.
 */

export const STREAM_KEY = 'guestbook:entries';

export type StreamRecord = [id: string, fields: string[]];

// The id's first part is the master's clock in milliseconds when it appended the entry.
const createdAt = (id: string) => new Date(Number(id.slice(0, id.indexOf('-')))).toISOString();

export function toEntry([id, fields]: StreamRecord): Entry {
  const field = (key: string) => fields[fields.indexOf(key) + 1] ?? '';
  return { id, name: field('name'), message: field('message'), createdAt: createdAt(id) };
}

export async function addEntry({ name, message }: NewEntry): Promise<Entry> {
  const id = await onMaster((master) => master.xadd(STREAM_KEY, '*', 'name', name, 'message', message));
  if (!id) throw new Error('XADD returned no id');
  return { id, name, message, createdAt: createdAt(id) };
}

/** A page of entries, newest first, after the entry that the cursor names. */
export async function listEntries({ limit, cursor }: { limit: number; cursor?: string }): Promise<EntryPage> {
  let start = '+';
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    if (!after) throw new AppError('invalid_query', 'cursor is not valid: pass the nextCursor of a previous page.', {
      errors: { cursor: ['cursor is not valid'] },
    });
    start = `(${after}`;
  }
  // One more than asked tells whether an older page exists, so the last page says so itself.
  const records = (await onReplica((replica) => replica.xrevrange(STREAM_KEY, start, '-', 'COUNT', limit + 1))) as StreamRecord[];
  const entries = records.slice(0, limit).map(toEntry);
  const hasMore = records.length > limit;
  return { entries, nextCursor: hasMore ? encodeCursor(entries[entries.length - 1]!.id) : null };
}

/**
 * One entry by id. A replica that has not caught up yet would deny an entry that its author was just
 * given, so a miss there is checked on the master before answering "not found".
 */
export async function getEntry(id: string): Promise<Entry | null> {
  const fetch = (client: Redis) => client.xrange(STREAM_KEY, id, id) as Promise<StreamRecord[]>;
  const [record] = await onReplica(fetch);
  if (record) return toEntry(record);
  const [fromMaster] = await onMaster(fetch);
  return fromMaster ? toEntry(fromMaster) : null;
}
