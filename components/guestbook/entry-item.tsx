import type { Entry } from '@/lib/guestbook/schema';
import { RelativeTime } from './relative-time';

/** One entry. Name and message are text nodes: React escapes them, so nothing typed becomes HTML. */
export function EntryItem({ entry, isOwn = false }: { entry: Entry; isOwn?: boolean }) {
  return (
    <li className={isOwn ? 'entry entry-own' : 'entry'} id={`entry-${entry.id}`}>
      <article aria-labelledby={`entry-${entry.id}-name`}>
        <header className="entry-head">
          <h3 className="entry-name" id={`entry-${entry.id}-name`} dir="auto">
            {entry.name}
          </h3>
          <RelativeTime iso={entry.createdAt} />
        </header>
        <p className="entry-message" dir="auto">
          {entry.message}
        </p>
      </article>
    </li>
  );
}
