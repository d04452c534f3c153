import { render } from '@testing-library/react';
import { NextIntlClientProvider } from 'next-intl';
import type { ReactElement } from 'react';
import en from '@/messages/en.json';
import zh from '@/messages/zh-CN.json';

const MESSAGES = { en, 'zh-CN': zh } as const;

/** Renders a component inside the same i18n provider that the layout gives it. */
export function renderWithIntl(ui: ReactElement, { locale = 'en', now = new Date() }: { locale?: keyof typeof MESSAGES; now?: Date } = {}) {
  return render(
    <NextIntlClientProvider locale={locale} messages={MESSAGES[locale]} timeZone="UTC" now={now}>
      {ui}
    </NextIntlClientProvider>,
  );
}
