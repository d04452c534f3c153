import { useTranslations } from 'next-intl';
import type { Entry } from '@/lib/guestbook/schema';
import { RelativeTime } from './relative-time';

/** One entry. Name and message are text nodes: React escapes them, so nothing typed becomes HTML. */
export function EntryItem({ entry, isOwn = false, isNew = false }: { entry: Entry; isOwn?: boolean; isNew?: boolean }) {
  const t = useTranslations('Entries');
  const className = ['entry', isOwn && 'entry-own', isNew && 'entry-new'].filter(Boolean).join(' ');
  return (
    <li className={className} id={`entry-${entry.id}`}>
      <article aria-labelledby={`entry-${entry.id}-name`}>
        <header className="entry-head">
          <h3 className="entry-name" id={`entry-${entry.id}-name`} dir="auto">
            {entry.name}
          </h3>
          <RelativeTime iso={entry.createdAt} />
          {isNew && <span className="entry-badge">{t('new')}</span>}
        </header>
        <p className="entry-message" dir="auto">
          {entry.message}
        </p>
      </article>
    </li>
  );
}
