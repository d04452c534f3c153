import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { CHINESE, GuestbookPage } from './pages/guestbook-page';

test.describe('a visitor whose browser prefers Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('gets the Chinese interface, can sign in it, and can switch to English, which is remembered', async ({ page }) => {
    const guestbook = new GuestbookPage(page, CHINESE);
    await guestbook.goto();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('留言簿');
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page).toHaveTitle('留言簿');

    const message = `你好 ${randomUUID().slice(0, 8)}`;
    await guestbook.sign('李雷', message);
    await expect(guestbook.status).toHaveText('谢谢！你的留言已在最上方。');
    await expect(guestbook.entry(message).locator('time')).toHaveText(/秒|分钟|现在/);

    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Guestbook');
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Guestbook');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
  });

  test('sees validation messages in Chinese', async ({ page }) => {
    const guestbook = new GuestbookPage(page, CHINESE);
    await guestbook.goto();
    await guestbook.submit.click();
    await expect(page.getByText('请填写你的姓名。')).toBeVisible();
    await expect(page.getByText('请写下你的留言。')).toBeVisible();
  });
});
