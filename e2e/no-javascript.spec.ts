import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { GuestbookPage } from './pages/guestbook-page';

test.use({ javaScriptEnabled: false });

test('without JavaScript the form still posts, and the page shows the entry', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const message = `Posted without JavaScript ${randomUUID().slice(0, 8)}`;
  await guestbook.sign('No-JS', message);
  await expect(page).toHaveURL(/\/\?posted=\d+-\d+#entry-/);
  await guestbook.expectEntry('No-JS', message);
});

test("without JavaScript the browser's own checks stop an empty form: nothing is sent", async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  const posts = guestbook.recordPosts();
  await guestbook.goto();
  await expect(guestbook.form).not.toHaveAttribute('novalidate');
  await guestbook.submit.click();
  await expect(guestbook.name.and(page.locator(':invalid'))).toHaveCount(1);
  await expect(page).toHaveURL(/\/$/);

  // The next post, a valid one, is the first that reaches the API.
  await guestbook.sign('No-JS', `Filled in ${randomUUID().slice(0, 8)}`);
  await expect(page).toHaveURL(/\?posted=/);
  expect(posts).toHaveLength(1);
});

test('without JavaScript a refused post says which field to fix', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  await guestbook.sign('   ', 'a message without a name');
  await expect(page).toHaveURL(/invalid=name/);
  await expect(page.getByText('Please enter your name.')).toBeVisible();
});

test('without JavaScript older entries are a link to the next page', async ({ page, request }) => {
  for (let i = 0; i < 21; i++) await request.post('/api/guestbook', { data: { name: 'Filler', message: `filler ${i}` } });
  const guestbook = new GuestbookPage(page);
  // The front tier may serve the newest page as it was up to a second ago.
  await expect(async () => {
    await guestbook.goto();
    await expect(guestbook.showOlder).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await guestbook.showOlder.click();
  await expect(page).toHaveURL(/\?cursor=/);
  await expect(guestbook.entries.first()).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the newest entries' })).toBeVisible();
});
