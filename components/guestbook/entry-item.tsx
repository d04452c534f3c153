import type { Entry } from '@/lib/guestbook/schema';

/** One entry. Name and message are text nodes: React escapes them, so nothing typed becomes HTML. */
export function EntryItem({ entry }: { entry: Entry }) {
  return (
    <li className="entry" id={`entry-${entry.id}`}>
      <div className="entry-head">
        <span className="entry-name">{entry.name}</span>
        <time className="entry-time" dateTime={entry.createdAt}>
          {new Date(entry.createdAt).toUTCString()}
        </time>
      </div>
      <p className="entry-message">{entry.message}</p>
    </li>
  );
}
