'use client';

import { useEffect, useState } from 'react';
import { mergeNewestFirst } from '@/lib/guestbook/entry-id';
import { startLiveUpdates } from '@/lib/live/client';
import type { Entry } from '@/lib/guestbook/schema';

/**
 * The entries that arrived since the page was rendered, newest first. `since` is the newest entry
 * the page showed ('0-0' for an empty guestbook); null turns live updates off (an older page).
 */
export function useLiveEntries(since: string | null): Entry[] {
  const [live, setLive] = useState<Entry[]>([]);
  useEffect(() => {
    if (since === null) return;
    const updates = startLiveUpdates(since, (entries) => setLive((current) => mergeNewestFirst(entries, current)));
    return () => updates.stop();
  }, [since]);
  return live;
}
