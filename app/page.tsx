import { connection } from 'next/server';
import { getLocale, getTranslations } from 'next-intl/server';
import { Guestbook } from '@/components/guestbook/guestbook';
import { LocaleSwitch } from '@/components/locale-switch';
import { toEntryRow } from '@/lib/guestbook/entry-row';
import { readFormResult } from '@/lib/guestbook/form-result';
import { EntryIdSchema, PAGE_SIZE, type EntryPage } from '@/lib/guestbook/schema';
import { getEntry, listEntries } from '@/lib/guestbook/store';
import { AppError } from '@/lib/http/problem';
import { metrics } from '@/lib/metrics';

const first = (value: string | string[] | undefined) => [value].flat()[0];

/**
 * A page of entries read from a replica. After a form post the entry just written is put on top even
 * when the replica has not caught up yet (read-your-writes); a bad cursor in the address shows the
 * newest page rather than an error.
 */
async function readPage(cursor: string | undefined, posted: string | undefined): Promise<EntryPage | null> {
  try {
    const page = await listEntries({ limit: PAGE_SIZE.default, cursor }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'invalid_query') return listEntries({ limit: PAGE_SIZE.default });
      throw error;
    });
    const missing = posted && EntryIdSchema.safeParse(posted).success && !page.entries.some((entry) => entry.id === posted);
    const own = missing ? await getEntry(posted) : null;
    return own ? { ...page, entries: [own, ...page.entries] } : page;
  } catch (error) {
    if (error instanceof AppError && error.code === 'storage_unavailable') return null;
    throw error;
  }
}

export default async function HomePage({ searchParams }: PageProps<'/'>) {
  await connection();
  const query = await searchParams;
  const { posted, invalid, retry } = readFormResult(query);
  const cursor = first(query.cursor);
  const [page, t, locale] = await Promise.all([readPage(cursor, posted), getTranslations(), getLocale()]);
  metrics().pageRenders.inc({ language: locale });

  return (
    <>
      <header className="site-header">
        <div className="site-header-inner">
          <div>
            <h1>{t('Header.title')}</h1>
            <p className="tagline">{t('Header.tagline')}</p>
          </div>
          <LocaleSwitch />
        </div>
      </header>
      <main>
        {page ? (
          <Guestbook rows={page.entries.map(toEntryRow)} nextCursor={page.nextCursor} isOlderPage={Boolean(cursor)} initialInvalid={invalid} initialRetry={retry} />
        ) : (
          <p role="alert" className="notice notice-error">
            {t('Entries.unavailable')}
          </p>
        )}
      </main>
      <footer className="site-footer">
        <p>
          {t('Footer.source')} <a href="/api/openapi.json">{t('Footer.api')}</a>
        </p>
      </footer>
    </>
  );
}
