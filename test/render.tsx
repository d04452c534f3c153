import { render } from '@testing-library/react';
import { NextIntlClientProvider } from 'next-intl';
import type { ReactElement } from 'react';
import type { Locale } from '@/i18n/locales';
import { clientMessages } from '@/i18n/messages';

interface IntlOptions {
  locale?: Locale;
  now?: Date;
}

/** A component inside the same i18n provider that the layout gives it. */
export function withIntl(ui: ReactElement, { locale = 'en', now = new Date() }: IntlOptions = {}) {
  return (
    <NextIntlClientProvider locale={locale} messages={clientMessages(locale)} timeZone="UTC" now={now}>
      {ui}
    </NextIntlClientProvider>
  );
}

/** Renders a component (with Testing Library) inside the layout's i18n provider. */
export const renderWithIntl = (ui: ReactElement, options?: IntlOptions) => render(withIntl(ui, options));
