import { z } from 'zod';
import { EntrySchema, type Entry } from './schema';

/**
 * The entries that this visitor posted in this tab, kept for a few minutes in sessionStorage, so a
 * reload served by a replica that has not caught up yet cannot make them vanish (read-your-writes).
 * It is an external store for React's useSyncExternalStore: the snapshot is the stored JSON text,
 * which stays the same object until something is remembered.
 */

const KEY = 'guestbook:own-entries';
const KEEP_MS = 5 * 60_000;
const EMPTY = '[]';
const Stored = z.array(EntrySchema);
const listeners = new Set<() => void>();
// Where sessionStorage is disabled (some private modes), the tab still remembers until it unloads.
let memory = EMPTY;

export function parseOwnEntries(snapshot: string): Entry[] {
  try {
    return Stored.parse(JSON.parse(snapshot));
  } catch {
    return [];
  }
}

export function ownEntriesSnapshot(): string {
  try {
    return sessionStorage.getItem(KEY) ?? memory;
  } catch {
    return memory;
  }
}

export const serverOwnEntriesSnapshot = () => EMPTY;

export function subscribeOwnEntries(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function rememberOwnEntry(entry: Entry, now = Date.now()): void {
  const recent = parseOwnEntries(ownEntriesSnapshot()).filter((kept) => now - Date.parse(kept.createdAt) < KEEP_MS);
  memory = JSON.stringify([entry, ...recent]);
  try {
    sessionStorage.setItem(KEY, memory);
  } catch {
    // Full or disabled: the in-memory copy serves this tab.
  }
  for (const listener of listeners) listener();
}
