import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { GuestbookPage } from './pages/guestbook-page';

const WIDTHS = { phone: 375, desktop: 1280 } as const;

test.beforeAll(async ({ request }) => {
  // Something to read, in several scripts, so that every part of the page is checked.
  let last = '';
  for (const [name, message] of [['Ada', 'Hello!\nA second line.'], ['王小明', '你好，世界'], ['مريم', 'مرحبا']]) {
    last = (await (await request.post('/api/guestbook', { data: { name, message } })).json()).id;
  }
  // Until the replica has them, they would arrive live after the page loads, and move it.
  await expect
    .poll(async () => (await (await request.get('/api/guestbook')).json()).entries.some((entry: { id: string }) => entry.id === last))
    .toBe(true);
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`axe finds no accessibility violations (${colorScheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    await new GuestbookPage(page).goto();
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  });
}

test('axe finds nothing after a refused post either', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  await guestbook.submit.click();
  await expect(page.getByText('Please enter your name.')).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((violation) => violation.id)).toEqual([]);
});

test('fits a 320 px wide screen without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 640 });
  await new GuestbookPage(page).goto();
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
});

test('nothing shifts while the page loads and hydrates', async ({ page }) => {
  await page.addInitScript(() => {
    (window as unknown as { shifts: number }).shifts = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!entry.hadRecentInput) (window as unknown as { shifts: number }).shifts += entry.value;
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  // Entries that other tests post would arrive live and move the list, as they should: keep them out.
  await page.route('**/api/guestbook/events**', (route) => route.abort());
  await new GuestbookPage(page).goto();
  await page.waitForLoadState('networkidle');
  expect(await page.evaluate(() => (window as unknown as { shifts: number }).shifts)).toBe(0);
});

test('has a title and a description', async ({ page }) => {
  await new GuestbookPage(page).goto();
  await expect(page).toHaveTitle('Guestbook');
  await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /Sign the guestbook/);
});

for (const [device, width] of Object.entries(WIDTHS)) {
  test(`screenshot at ${device} width (${width} px)`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width, height: 900 });
    await new GuestbookPage(page).goto();
    const path = testInfo.outputPath(`guestbook-${device}.png`);
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach(`guestbook-${device}`, { path, contentType: 'image/png' });
  });
}

test('an unknown address answers 404, in the visitor\'s language, with a way back', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This page does not exist.');
  await page.getByRole('link', { name: 'Back to the guestbook' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Guestbook');
});
