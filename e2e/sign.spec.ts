import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { GuestbookPage } from './pages/guestbook-page';

const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

test('a visitor signs the guestbook and sees the entry at the top, also after a reload', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const message = unique('Hello from the browser');
  await guestbook.sign('Ada', message);
  await expect(guestbook.status).toHaveText('Thank you! Your entry is at the top.');
  await guestbook.expectEntry('Ada', message);
  await expect(guestbook.entries.first()).toContainText(message);
  await expect(guestbook.message).toHaveValue('');
  await page.reload();
  await guestbook.expectEntry('Ada', message);
});

test.describe('a visitor in Shanghai', () => {
  test.use({ timezoneId: 'Asia/Shanghai' });

  test('sees when an entry was signed, and on hover the exact time in their own time zone', async ({ page }) => {
    const guestbook = new GuestbookPage(page);
    await guestbook.goto();
    const message = unique('What time is it');
    await guestbook.sign('Ada', message);
    await page.reload();
    const time = guestbook.entry(message).locator('time');
    await expect(time).toHaveText(/ago|now/);
    await expect(time).toHaveAttribute('title', /GMT\+8/);
  });
});

test('the form checks the rules before sending and says what to fix', async ({ page, request }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const message = unique('No name');
  await guestbook.name.fill('   ');
  await guestbook.message.fill(message);
  await guestbook.submit.click();
  await expect(page.getByText('Please enter your name.')).toBeVisible();
  await expect(guestbook.name).toBeFocused();

  await guestbook.name.fill('Ada');
  await guestbook.message.fill('x'.repeat(501));
  await expect(page.getByText('501 / 500')).toBeVisible();
  await guestbook.submit.click();
  await expect(page.getByText('Your message can be at most 500 characters.')).toBeVisible();

  const { entries } = await (await request.get('/api/guestbook?limit=100')).json();
  expect(entries.map((entry: { message: string }) => entry.message)).not.toContain(message);
});

test('once its script runs, the form checks an empty form itself, in its own words', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  const posts = guestbook.recordPosts();
  await guestbook.goto();
  await expect(guestbook.form).toHaveAttribute('novalidate');
  await guestbook.submit.click();
  await expect(page.getByText('Please enter your name.')).toBeVisible();
  await expect(page.getByText('Please write a message.')).toBeVisible();
  await expect(guestbook.name).toBeFocused();
  expect(posts).toEqual([]);
});

test('text in any script is kept exactly: Chinese, emoji, right-to-left', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  const texts = [
    ['王小明', `你好，世界！欢迎来到留言簿。${randomUUID().slice(0, 4)}`],
    ['👩‍👩‍👧‍👦 family', `Flags 🇨🇳🇫🇷, skin tones 👋🏽 ❤️ ${randomUUID().slice(0, 4)}`],
    ['مريم', `مرحبا بالعالم! هذا سجل الزوار ${randomUUID().slice(0, 4)}`],
    ['דוד', `שלום עולם — mixed עם English ${randomUUID().slice(0, 4)}`],
  ] as const;
  await guestbook.goto();
  for (const [name, message] of texts) {
    await guestbook.sign(name, message);
    await guestbook.expectEntry(name, message);
  }
  await page.reload();
  for (const [name, message] of texts) await guestbook.expectEntry(name, message);
});

test('markup that visitors type is shown as text and runs nothing', async ({ page }) => {
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  const tag = randomUUID().slice(0, 8);
  const payloads = [
    `<img src=x onerror=alert(1)> ${tag}`,
    `<script>alert(2)</script> ${tag}`,
    `"><svg onload=alert(3)> ${tag}`,
    `javascript:alert(4) <a href="javascript:alert(5)">x</a> ${tag}`,
  ];
  for (const payload of payloads) {
    await guestbook.sign(`<b onmouseover=alert(6)>${tag}</b>`, payload);
    await guestbook.expectEntry(`<b onmouseover=alert(6)>${tag}</b>`, payload);
  }
  await page.reload();
  for (const payload of payloads) await guestbook.expectEntry(`<b onmouseover=alert(6)>${tag}</b>`, payload);
  await guestbook.entries.first().hover();
  expect(await guestbook.list.locator('img, script, svg, b, a').count()).toBe(0);
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
});

test('older entries load page by page with none missing or repeated', async ({ page, request }) => {
  const name = unique('Pager');
  const written: string[] = [];
  for (let i = 0; i < 45; i++) {
    const message = `page test ${String(i).padStart(2, '0')}`;
    expect((await request.post('/api/guestbook', { data: { name, message } })).status()).toBe(201);
    written.push(message);
  }
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  // Every entry of this test is older than whatever other tests post meanwhile.
  while ((await guestbook.messagesBy(name)).length < written.length) {
    const before = await guestbook.entries.count();
    await guestbook.showOlder.click();
    await expect.poll(() => guestbook.entries.count()).toBeGreaterThan(before);
  }
  expect(await guestbook.messagesBy(name)).toEqual([...written].reverse());
});

test('two visitors signing at the same moment both see both entries', async ({ browser }) => {
  const [alice, bob] = await Promise.all([browser.newContext(), browser.newContext()]);
  const pages = await Promise.all([alice.newPage(), bob.newPage()]);
  const visitors = pages.map((page) => new GuestbookPage(page));
  await Promise.all(visitors.map((visitor) => visitor.goto()));
  const messages = [unique('Alice was here'), unique('Bob was here')];
  await Promise.all(visitors.map((visitor, i) => visitor.sign(i === 0 ? 'Alice' : 'Bob', messages[i]!)));
  for (const visitor of visitors) {
    await visitor.page.reload();
    await visitor.expectEntry('Alice', messages[0]!);
    await visitor.expectEntry('Bob', messages[1]!);
  }
  await Promise.all([alice.close(), bob.close()]);
});

test('keyboard only: tab to the fields, type, and sign', async ({ page }) => {
  const guestbook = new GuestbookPage(page);
  await guestbook.goto();
  await guestbook.name.focus();
  const outline = await guestbook.name.evaluate((element) => getComputedStyle(element).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.type('Keys');
  await page.keyboard.press('Tab');
  await expect(guestbook.message).toBeFocused();
  const message = unique('Typed without a mouse');
  await page.keyboard.type(message);
  await page.keyboard.press('Tab');
  await expect(guestbook.submit).toBeFocused();
  await page.keyboard.press('Enter');
  await guestbook.expectEntry('Keys', message);
});
