import 'server-only';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { getConfig } from '@/lib/config';
import { AppError } from '@/lib/http/problem';
import { metrics, type WriteOutcome } from '@/lib/metrics';
import { onMaster, onReplica, storageUnavailable } from '@/lib/redis';
import { decodeCursor, encodeCursor } from './cursor';
import { entryCreatedAt } from './entry-id';
import type { Entry, EntryPage, NewEntry } from './schema';

/**
 * The guestbook is one Redis stream: XADD appends an entry atomically on the master and gives it a
 * time-ordered id; XREVRANGE from a cursor reads a page in O(log N + page) on a replica, whatever the
 * length of the guestbook. See docs/decisions/001-one-redis-stream.md.
 */

export const STREAM_KEY = 'guestbook:entries';
/** How many entries moderation has deleted: the generation that cursors carry (cursor.ts). */
export const DELETIONS_KEY = 'guestbook:deletions';
const IDEMPOTENCY_PREFIX = 'guestbook:idempotency:';
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export type StreamRecord = [id: string, fields: string[]];

export function toEntry([id, fields]: StreamRecord): Entry {
  const field = (key: string) => fields[fields.indexOf(key) + 1] ?? '';
  return { id, name: field('name'), message: field('message'), createdAt: entryCreatedAt(id) };
}

/**
 * Appends unless the idempotency key was seen: then it answers with the entry that the key made, or
 * with a conflict when the key came with another entry. One script, so two retries racing each other
 * still make one entry.
 */
const IDEMPOTENT_APPEND = `
local stored = redis.call('GET', KEYS[2])
if stored then
  local fingerprint, id = string.match(stored, '^(%S+) (%S+)$')
  if fingerprint ~= ARGV[3] then return {'conflict', id} end
  return {'replay', id, redis.call('XRANGE', KEYS[1], id, id)}
end
local id = redis.call('XADD', KEYS[1], '*', 'name', ARGV[1], 'message', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3] .. ' ' .. id, 'EX', ARGV[4])
return {'created', id}
`;

type AppendReply = ['created', string] | ['replay', string, StreamRecord[]] | ['conflict', string];

/** Deletes and counts the deletion in one step, so no reader sees the one without the other. */
const COUNTED_DELETE = `
local deleted = redis.call('XDEL', KEYS[1], ARGV[1])
if deleted == 1 then redis.call('INCRBY', KEYS[2], 1) end
return deleted
`;

interface ScriptedRedis extends Redis {
  guestbookAppend(stream: string, key: string, name: string, message: string, fingerprint: string, ttl: number): Promise<AppendReply>;
  guestbookDelete(stream: string, deletions: string, id: string): Promise<number>;
}

function withScripts(master: Redis): ScriptedRedis {
  if (!('guestbookAppend' in master)) {
    master.defineCommand('guestbookAppend', { numberOfKeys: 2, lua: IDEMPOTENT_APPEND });
    master.defineCommand('guestbookDelete', { numberOfKeys: 2, lua: COUNTED_DELETE });
  }
  return master as ScriptedRedis;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function append(master: Redis, { name, message }: NewEntry, idempotencyKey?: string): Promise<{ entry: Entry; replayed: boolean }> {
  if (idempotencyKey === undefined) {
    const id = (await master.xadd(STREAM_KEY, '*', 'name', name, 'message', message))!;
    return { entry: { id, name, message, createdAt: entryCreatedAt(id) }, replayed: false };
  }
  const key = IDEMPOTENCY_PREFIX + sha256(idempotencyKey);
  const fingerprint = sha256(JSON.stringify([name, message]));
  const reply = await withScripts(master).guestbookAppend(STREAM_KEY, key, name, message, fingerprint, IDEMPOTENCY_TTL_SECONDS);
  if (reply[0] === 'created') return { entry: { id: reply[1], name, message, createdAt: entryCreatedAt(reply[1]) }, replayed: false };
  if (reply[0] === 'conflict') {
    throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used for a different entry; use a new key for a new entry.');
  }
  const [record] = reply[2];
  if (!record) throw new AppError('not_found', 'The entry posted with this Idempotency-Key has since been removed.');
  return { entry: toEntry(record), replayed: true };
}

/**
 * When writes must be on replicas before they count (REDIS_WRITE_ACKS), a write that no replica
 * confirmed in time is not acknowledged: the client retries, with its Idempotency-Key, and gets the
 * same entry once it is safe.
 */
class ReplicasBehind extends Error {}

async function awaitReplicas(master: Redis): Promise<void> {
  const { writeAcks, redisTimeoutMs } = getConfig();
  if (writeAcks === 0) return;
  const acknowledged = await master.wait(writeAcks, Math.floor(redisTimeoutMs / 2));
  if (acknowledged < writeAcks) {
    throw storageUnavailable('master', new ReplicasBehind(`WAIT: ${acknowledged} of ${writeAcks} replicas confirmed the write`));
  }
}

/** How a write that failed ended, for guestbook_writes_total. */
function failedWrite(error: unknown): WriteOutcome {
  if (!(error instanceof AppError)) return 'error';
  if (error.code === 'storage_unavailable') return error.options.cause instanceof ReplicasBehind ? 'unconfirmed' : 'unavailable';
  return 'refused';
}

export async function addEntry(input: NewEntry, idempotencyKey?: string): Promise<{ entry: Entry; replayed: boolean }> {
  try {
    const result = await onMaster(async (master) => {
      const appended = await append(master, input, idempotencyKey);
      await awaitReplicas(master);
      return appended;
    });
    metrics().writes.inc({ outcome: result.replayed ? 'replayed' : 'created' });
    return result;
  } catch (error) {
    metrics().writes.inc({ outcome: failedWrite(error) });
    throw error;
  }
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
  // One more than asked tells whether an older page exists, so the last page says so itself. Both
  // commands go out together: one round trip.
  const [records, deletions] = await onReplica((replica) =>
    Promise.all([replica.xrevrange(STREAM_KEY, start, '-', 'COUNT', limit + 1) as Promise<StreamRecord[]>, replica.get(DELETIONS_KEY)]));
  const entries = records.slice(0, limit).map(toEntry);
  const hasMore = records.length > limit;
  return { entries, nextCursor: hasMore ? encodeCursor(entries[entries.length - 1]!.id, Number(deletions ?? 0)) : null };
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
  metrics().reads.inc({ source: 'master' });
  return fromMaster ? toEntry(fromMaster) : null;
}

/** Removes an entry (moderation); false when there was none. */
export async function deleteEntry(id: string): Promise<boolean> {
  return (await onMaster((master) => withScripts(master).guestbookDelete(STREAM_KEY, DELETIONS_KEY, id))) === 1;
}
