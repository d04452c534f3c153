import { useTranslations } from 'next-intl';
import type { Entry } from '@/lib/guestbook/schema';
import { RelativeTime } from './relative-time';

/**
 * One entry: a list item headed by the name. Name and message are text nodes: React escapes them,
 * so nothing typed becomes HTML. The markup is the least that carries it (styled through the list),
 * as the page repeats it for every entry.
 */
export function EntryItem({ entry, isOwn = false, isNew = false }: { entry: Entry; isOwn?: boolean; isNew?: boolean }) {
  const t = useTranslations('Entries');
  const className = [isOwn && 'entry-own', isNew && 'entry-new'].filter(Boolean).join(' ') || undefined;
  return (
    <li className={className} id={`entry-${entry.id}`}>
      <h3 dir="auto">{entry.name}</h3>
      <RelativeTime iso={entry.createdAt} />
      {isNew && <span className="entry-badge">{t('new')}</span>}
      <p className="entry-message" dir="auto">
        {entry.message}
      </p>
    </li>
  );
}
