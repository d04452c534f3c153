import type { Entry } from '@/lib/guestbook/schema';
import { RelativeTime, type Clock } from './relative-time';

interface EntryItemProps {
  entry: Entry;
  clock: Clock;
  isOwn: boolean;
  /** The "New" badge's text for an entry that another visitor posted while the page was open. */
  newBadge?: string;
}

/**
 * One entry: a list item headed by the name. Name and message are text nodes: React escapes them,
 * so nothing typed becomes HTML. The markup is the least that carries it (styled through the list),
 * and the list reads the translations and the clock once for all its entries.
 */
export function EntryItem({ entry, clock, isOwn, newBadge }: EntryItemProps) {
  const className = [isOwn && 'entry-own', newBadge && 'entry-new'].filter(Boolean).join(' ') || undefined;
  return (
    <li className={className} id={`entry-${entry.id}`}>
      <h3 dir="auto">{entry.name}</h3>
      <RelativeTime iso={entry.createdAt} clock={clock} />
      {newBadge && <span className="entry-badge">{newBadge}</span>}
      <p dir="auto">{entry.message}</p>
    </li>
  );
}
