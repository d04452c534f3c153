'use client';

import { useTranslations } from 'next-intl';
import { useState, type MouseEvent } from 'react';
import { fetchOlder } from '@/lib/guestbook/api-client';
import { compareEntryIds, mergeNewestFirst } from '@/lib/guestbook/entry-id';
import { fromEntryRow, type EntryRow } from '@/lib/guestbook/entry-row';
import type { FieldRules, RetryReason } from '@/lib/guestbook/form-result';
import { rememberOwnEntry } from '@/lib/guestbook/own-entries';
import { EntryList } from './entry-list';
import { SignForm } from './sign-form';
import { useLiveEntries } from './use-live-entries';
import { useOwnEntries } from './use-own-entries';

export interface GuestbookProps {
  /** The entries that the server read, newest first. */
  rows: readonly EntryRow[];
  nextCursor: string | null;
  /** True when this page is an older page (reached without JavaScript). */
  isOlderPage?: boolean;
  initialInvalid?: FieldRules;
  initialRetry?: { reason: RetryReason; seconds: number };
}

type OlderState = 'idle' | 'loading' | 'failed';

/**
 * The form and the list, sharing one state: entries the visitor posts go to the top at once and
 * stay there, whatever a replica answers later; older pages are appended by cursor.
 */
export function Guestbook({ rows, nextCursor: initialCursor, isOlderPage = false, initialInvalid, initialRetry }: GuestbookProps) {
  const t = useTranslations('Entries');
  const [entries, setEntries] = useState(() => rows.map(fromEntryRow));
  const own = useOwnEntries();
  // Live updates resume after the newest entry that the server rendered; an older page has none.
  const [since] = useState(() => (isOlderPage ? null : (rows[0]?.[0] ?? '0-0')));
  const live = useLiveEntries(since);
  const [cursor, setCursor] = useState(initialCursor);
  const [older, setOlder] = useState<OlderState>('idle');

  const showOlder = async (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    if (!cursor || older === 'loading') return;
    setOlder('loading');
    try {
      const page = await fetchOlder(cursor);
      setEntries((current) => mergeNewestFirst(current, page.entries));
      setCursor(page.nextCursor);
      setOlder('idle');
    } catch {
      setOlder('failed');
    }
  };

  // Own posts (kept across a reload, which a lagging replica may serve) go above the newest page.
  const oldestShown = entries.at(-1)?.id;
  const shownOwn = isOlderPage ? [] : own.filter((entry) => !oldestShown || compareEntryIds(entry.id, oldestShown) > 0);
  // The server's render, and most others, have nothing to merge in: the page is already in order.
  const shown = shownOwn.length > 0 || live.length > 0 ? mergeNewestFirst(shownOwn, live, entries) : entries;
  const ownIds = new Set(own.map((entry) => entry.id));
  const newIds = new Set(live.filter((entry) => !ownIds.has(entry.id)).map((entry) => entry.id));

  return (
    <>
      <SignForm onPosted={(entry) => rememberOwnEntry(entry)} initialInvalid={initialInvalid} initialRetry={initialRetry} />
      <section aria-labelledby="entries-heading">
        <h2 id="entries-heading">{t('heading')}</h2>
        {isOlderPage && (
          <p>
            {/* A plain load of the newest page: next/link would add its code to every page for a link that
                only older pages (reached without JavaScript) show. */}
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
            <a href="/">{t('backToNewest')}</a>
          </p>
        )}
        <div className="visually-hidden" aria-live="polite">
          {newIds.size > 0 && t('newEntries', { count: newIds.size })}
        </div>
        <EntryList entries={shown} ownIds={ownIds} newIds={newIds} />
        <div className="older" aria-live="polite">
          {cursor ? (
            <a className="button-secondary" href={`/?cursor=${encodeURIComponent(cursor)}`} onClick={showOlder} aria-disabled={older === 'loading'}>
              {older === 'loading' ? t('loadingOlder') : t('showOlder')}
            </a>
          ) : (
            shown.length > 0 && <p className="end">{t('end')}</p>
          )}
          {older === 'failed' && <p role="alert">{t('olderFailed')}</p>}
        </div>
      </section>
    </>
  );
}
