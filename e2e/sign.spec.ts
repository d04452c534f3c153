import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { GuestbookPage } from './pages/guestbook-page';

const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

test('a visitor signs the guestbook and sees the entry, also after a reload', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const message = unique('Hello from the browser');
  await guestbook.sign('Ada', message);
  await guestbook.expectEntry('Ada', message);
  await expect(guestbook.entries.first()).toContainText(message);
  await page.reload();
  await guestbook.expectEntry('Ada', message);
});

test('an empty name is refused with a message, and nothing is posted', async ({ page, request }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const message = unique('No name');
  await guestbook.name.fill('   ');
  await guestbook.message.fill(message);
  await guestbook.submit.click();
  await expect(page.getByText(/Please enter your name/)).toBeVisible();
  const { entries } = await (await request.get('/api/guestbook?limit=100')).json();
  expect(entries.map((entry: { message: string }) => entry.message)).not.toContain(message);
});
