import { useTranslations } from 'next-intl';
import type { Entry } from '@/lib/guestbook/schema';
import { EntryItem } from './entry-item';
import { useClock } from './relative-time';

interface EntryListProps {
  entries: Entry[];
  ownIds?: ReadonlySet<string>;
  /** Entries that others posted while the page was open. */
  newIds?: ReadonlySet<string>;
}

export function EntryList({ entries, ownIds = new Set<string>(), newIds = new Set<string>() }: EntryListProps) {
  const t = useTranslations('Entries');
  const clock = useClock();
  if (entries.length === 0) return <p className="empty">{t('empty')}</p>;
  return (
    <ol className="entries" aria-label={t('listLabel')}>
      {entries.map((entry) => (
        <EntryItem key={entry.id} entry={entry} clock={clock} isOwn={ownIds.has(entry.id)} newBadge={newIds.has(entry.id) ? t('new') : undefined} />
      ))}
    </ol>
  );
}
