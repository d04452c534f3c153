/** When the master appended the entry: an id's first part is its clock in milliseconds. */
export const entryCreatedAt = (id: string) => new Date(Number(id.slice(0, id.indexOf('-')))).toISOString();

/**
 * Orders entry ids ("<milliseconds>-<sequence>") as Redis does. Digit strings compare by length
 * first, then character by character, which is exact at any size.
 */
const compareDigits = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export function compareEntryIds(a: string, b: string): number {
  const [aTime = '', aSeq = ''] = a.split('-');
  const [bTime = '', bSeq = ''] = b.split('-');
  return compareDigits(aTime, bTime) || compareDigits(aSeq, bSeq);
}

/** Newest first, each id once: the order of every list of entries on the page. */
export function mergeNewestFirst<T extends { id: string }>(...lists: T[][]): T[] {
  const byId = new Map<string, T>();
  for (const entry of lists.flat()) if (!byId.has(entry.id)) byId.set(entry.id, entry);
  return [...byId.values()].sort((a, b) => compareEntryIds(b.id, a.id));
}
