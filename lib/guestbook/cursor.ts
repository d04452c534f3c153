import { EntryIdSchema } from './schema';

/**
 * Cursors are opaque to clients (base64url of a versioned entry id), so that the paging scheme can
 * change without breaking anyone who follows nextCursor.
 *
 * A v2 cursor also names the moderation generation it was issued in (store.ts counts deletions), only
 * so that its URL changes when an entry is deleted: an older page may stay in shared caches for
 * seconds, and a link handed out after a deletion must never lead to a copy cached before it
 * (docs/decisions/012-moderation-generation.md). Reads ignore the generation; v1 cursors from old
 * links still work.
 */

const CURRENT = 'v2';

export function encodeCursor(entryId: string, generation: number): string {
  return Buffer.from(`${CURRENT}:${generation}:${entryId}`, 'utf8').toString('base64url');
}

const FORMATS = [/^v1:(?<id>.*)$/s, /^v2:(?:0|[1-9]\d{0,15}):(?<id>.*)$/s];

/** The entry id that a cursor points after, or null when it is not a cursor that we issued. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = FORMATS.map((format) => format.exec(decoded)?.groups?.id).find((match) => match !== undefined);
  return id !== undefined && EntryIdSchema.safeParse(id).success ? id : null;
}
