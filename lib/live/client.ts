import { compareEntryIds } from '@/lib/guestbook/entry-id';
import { EntryPageSchema, EntrySchema, type Entry } from '@/lib/guestbook/schema';

/**
 * The browser's side of live updates: Server-Sent Events from /api/guestbook/events, resumed after
 * the newest entry already shown; where EventSource is missing or keeps failing, a poll of the list
 * with If-None-Match, which costs a 304 while nothing changed.
 */

export const LIVE_CLIENT = {
  /** Failed connections in a row before the page gives up streaming and polls instead. */
  maxStreamFailures: 3,
  pollMs: 5_000,
  maxBackoffMs: 30_000,
};

export interface LiveUpdates {
  stop(): void;
}

const backoff = (failures: number) => Math.min(1_000 * 2 ** (failures - 1), LIVE_CLIENT.maxBackoffMs);

/** Calls `onEntries` with each batch of entries newer than `since`, oldest first, each once. */
export function startLiveUpdates(since: string, onEntries: (entries: Entry[]) => void): LiveUpdates {
  let newest = since;
  let failures = 0;
  let stopped = false;
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let etag: string | undefined;

  const later = (run: () => void, ms: number) => {
    if (!stopped) timer = setTimeout(run, ms);
  };

  const accept = (entries: Entry[]) => {
    const fresh = entries.filter((entry) => compareEntryIds(entry.id, newest) > 0).sort((a, b) => compareEntryIds(a.id, b.id));
    if (fresh.length === 0) return;
    newest = fresh.at(-1)!.id;
    onEntries(fresh);
  };

  const stream = () => {
    source = new EventSource(`/api/guestbook/events?lastEventId=${encodeURIComponent(newest)}`);
    source.onopen = () => (failures = 0);
    source.addEventListener('entry', (event) => {
      const parsed = EntrySchema.safeParse(JSON.parse((event as MessageEvent<string>).data));
      if (parsed.success) accept([parsed.data]);
    });
    source.onerror = () => {
      failures++;
      // While CONNECTING the browser retries by itself, resuming with Last-Event-ID.
      if (source!.readyState !== EventSource.CLOSED && failures < LIVE_CLIENT.maxStreamFailures) return;
      source!.close();
      if (failures >= LIVE_CLIENT.maxStreamFailures) later(poll, LIVE_CLIENT.pollMs);
      else later(stream, backoff(failures));
    };
  };

  const poll = async () => {
    try {
      const response = await fetch('/api/guestbook', { headers: { Accept: 'application/json', ...(etag && { 'If-None-Match': etag }) } });
      if (response.status === 200) {
        etag = response.headers.get('etag') ?? undefined;
        accept(EntryPageSchema.parse(await response.json()).entries);
      } else if (response.status !== 304) throw new Error(`GET /api/guestbook answered ${response.status}`);
      failures = 0;
      later(poll, LIVE_CLIENT.pollMs);
    } catch {
      failures++;
      later(poll, Math.max(LIVE_CLIENT.pollMs, backoff(failures)));
    }
  };

  if (typeof EventSource === 'function') stream();
  else later(poll, LIVE_CLIENT.pollMs);

  return {
    stop() {
      stopped = true;
      source?.close();
      clearTimeout(timer);
    },
  };
}
