import { EntryIdSchema } from './schema';

/**
 * Cursors are opaque to clients (base64url of a versioned entry id), so that the paging scheme can
 * change without breaking anyone who follows nextCursor.
 */

const PREFIX = 'v1:';

export function encodeCursor(entryId: string): string {
  return Buffer.from(PREFIX + entryId, 'utf8').toString('base64url');
}

/** The entry id that a cursor points after, or null when it is not a cursor that we issued. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(PREFIX)) return null;
  const id = decoded.slice(PREFIX.length);
  return EntryIdSchema.safeParse(id).success ? id : null;
}
