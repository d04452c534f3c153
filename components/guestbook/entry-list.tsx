import type { Entry } from '@/lib/guestbook/schema';
import { EntryItem } from './entry-item';

export function EntryList({ entries }: { entries: Entry[] }) {
  if (entries.length === 0) return <p className="empty">No one has signed yet. Be the first!</p>;
  return (
    <ol className="entries" aria-label="Entries, newest first">
      {entries.map((entry) => (
        <EntryItem key={entry.id} entry={entry} />
      ))}
    </ol>
  );
}
