import { useTranslations } from 'next-intl';

/**
 * The answer to an unknown address, in the visitor's language. Next.js puts the root not-found
 * into every page's RSC payload, so it is kept small (its default, with inline styles, was 1.2 KB).
 */
export default function NotFound() {
  const t = useTranslations('NotFound');
  return (
    <main>
      <h1>{t('title')}</h1>
      <p>
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a full load; no client router code for a 404 */}
        <a href="/">{t('back')}</a>
      </p>
    </main>
  );
}
