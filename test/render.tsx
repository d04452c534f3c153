import { render } from '@testing-library/react';
import { NextIntlClientProvider } from 'next-intl';
import type { ReactElement } from 'react';
import en from '@/messages/en.json';
import zh from '@/messages/zh-CN.json';

const MESSAGES = { en, 'zh-CN': zh } as const;

interface IntlOptions {
  locale?: keyof typeof MESSAGES;
  now?: Date;
}

/** A component inside the same i18n provider that the layout gives it. */
export function withIntl(ui: ReactElement, { locale = 'en', now = new Date() }: IntlOptions = {}) {
  return (
    <NextIntlClientProvider locale={locale} messages={MESSAGES[locale]} timeZone="UTC" now={now}>
      {ui}
    </NextIntlClientProvider>
  );
}

/** Renders a component (with Testing Library) inside the layout's i18n provider. */
export const renderWithIntl = (ui: ReactElement, options?: IntlOptions) => render(withIntl(ui, options));
