import { connection } from 'next/server';
import { EntryList } from '@/components/guestbook/entry-list';
import { SignForm } from '@/components/guestbook/sign-form';
import { readFormResult } from '@/lib/guestbook/form-result';
import { getEntry, listEntries } from '@/lib/guestbook/store';
import { AppError } from '@/lib/http/problem';
import { EntryIdSchema, PAGE_SIZE, type Entry } from '@/lib/guestbook/schema';

async function newestEntries(posted: string | undefined): Promise<Entry[] | null> {
  try {
    const { entries } = await listEntries({ limit: PAGE_SIZE.default });
    const missing = posted && EntryIdSchema.safeParse(posted).success && !entries.some((entry) => entry.id === posted);
    const own = missing ? await getEntry(posted) : null;
    return own ? [own, ...entries] : entries;
  } catch (error) {
    if (error instanceof AppError && error.code === 'storage_unavailable') return null;
    throw error;
  }
}

/**
 * The newest entries, rendered on the server from a replica. After a form post the entry just
 * written is shown even when the replica has not caught up yet (read-your-writes).
 */
export default async function HomePage({ searchParams }: PageProps<'/'>) {
  await connection();
  const { posted, invalid } = readFormResult(await searchParams);
  const shown = await newestEntries(posted);

  return (
    <main>
      <h1>Guestbook</h1>
      <SignForm invalid={invalid} />
      <h2>Entries</h2>
      {shown ? (
        <EntryList entries={shown} />
      ) : (
        <p role="alert">The guestbook cannot be read right now. Please reload in a moment.</p>
      )}
    </main>
  );
}
