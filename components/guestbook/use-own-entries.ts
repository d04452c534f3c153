import { useMemo, useSyncExternalStore } from 'react';
import { ownEntriesSnapshot, parseOwnEntries, serverOwnEntriesSnapshot, subscribeOwnEntries } from '@/lib/guestbook/own-entries';
import type { Entry } from '@/lib/guestbook/schema';

/** This tab's own recent posts; none during server rendering and hydration, then the stored ones. */
export function useOwnEntries(): Entry[] {
  const snapshot = useSyncExternalStore(subscribeOwnEntries, ownEntriesSnapshot, serverOwnEntriesSnapshot);
  return useMemo(() => parseOwnEntries(snapshot), [snapshot]);
}
