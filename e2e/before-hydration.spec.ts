import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { CHINESE, GuestbookPage } from './pages/guestbook-page';

/**
 * A visitor on a slow phone starts typing as soon as the form shows, before the page's scripts have
 * run: nothing they typed may be lost, counted wrong, checked wrong, posted twice or left behind.
 */

const LANGUAGES = [
  {
    locale: 'en',
    words: undefined,
    says: {
      nameTooLong: 'Your name can be at most 64 characters.',
      messageRequired: 'Please write a message.',
      posted: 'Thank you! Your entry is at the top.',
    },
  },
  {
    locale: 'zh-CN',
    words: CHINESE,
    says: { nameTooLong: '姓名最多 64 个字符。', messageRequired: '请写下你的留言。', posted: '谢谢！你的留言已在最上方。' },
  },
] as const;

const UUID = /^[0-9a-f-]{36}$/;

for (const { locale, words, says } of LANGUAGES) {
  test.describe(`${locale}: text typed before the page's scripts run`, () => {
    test.use({ locale });

    test('is kept and counted when the page hydrates, then posted once and cleared', async ({ page }) => {
      const guestbook = new GuestbookPage(page, words);
      const posts = guestbook.recordPosts();
      const { release } = await guestbook.gotoWithScriptsHeld();
      const name = locale === 'en' ? 'Early Ada' : '早起的李雷';
      const message = `${locale === 'en' ? 'Typed at once' : '一打开就写了'} 😀 ${randomUUID().slice(0, 8)}`;
      await guestbook.name.pressSequentially(name);
      await guestbook.message.pressSequentially(message);

      release();
      await guestbook.hydrated();
      await expect(guestbook.name).toHaveValue(name);
      await expect(guestbook.message).toHaveValue(message);
      await expect(guestbook.count('name')).toHaveText(`${[...name].length} / 64`);
      await expect(guestbook.count('message')).toHaveText(`${[...message].length} / 500`);

      await guestbook.submit.click();
      await expect(guestbook.status).toHaveText(says.posted);
      await guestbook.expectEntry(name, message);
      await expect(guestbook.message).toHaveValue('');
      await expect(guestbook.count('message')).toHaveText('0 / 500');
      await expect(guestbook.name).toHaveValue(name);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.idempotencyKey).toMatch(UUID);
    });

    test('is checked with the same rules: an over-long name and a blank message get their errors', async ({ page }) => {
      const guestbook = new GuestbookPage(page, words);
      const posts = guestbook.recordPosts();
      const { release } = await guestbook.gotoWithScriptsHeld();
      const name = `${'名'.repeat(63)}😀!`;
      await guestbook.name.fill(name);
      await guestbook.message.fill('   \n  ');

      release();
      await guestbook.hydrated();
      await expect(guestbook.name).toHaveValue(name);
      await expect(guestbook.count('name')).toHaveText('65 / 64');
      await expect(guestbook.count('name')).toHaveClass(/count-over/);
      await expect(guestbook.count('message')).toHaveText('0 / 500');

      await guestbook.submit.click();
      await expect(page.getByText(says.nameTooLong)).toBeVisible();
      await expect(page.getByText(says.messageRequired)).toBeVisible();
      await expect(guestbook.name).toBeFocused();
      await expect(guestbook.name).toHaveValue(name);
      expect(posts).toEqual([]);

      // Fixed, it goes out once.
      await page.keyboard.press('End');
      await page.keyboard.press('Backspace');
      const message = `${locale === 'en' ? 'Fixed' : '改好了'} ${randomUUID().slice(0, 8)}`;
      await guestbook.message.fill(message);
      await guestbook.submit.click();
      await guestbook.expectEntry(name.slice(0, -1), message);
      expect(posts).toHaveLength(1);
    });

    test('typed while the page hydrates is never lost, and not left behind after the post', async ({ page }) => {
      const guestbook = new GuestbookPage(page, words);
      const posts = guestbook.recordPosts();
      const { release } = await guestbook.gotoWithScriptsHeld();
      await guestbook.name.fill('Steady');
      let typed = `${randomUUID().slice(0, 8)} before `;
      await guestbook.message.pressSequentially(typed);

      // A key at a time, until the script has taken over, whenever that happens (within the limit).
      release();
      for (let keys = 0; keys < 400 && (await guestbook.form.getAttribute('novalidate')) === null; keys++) {
        await page.keyboard.type('x');
        typed += 'x';
      }
      await guestbook.hydrated();
      await page.keyboard.type(' after');
      typed += ' after';
      await expect(guestbook.message).toHaveValue(typed);
      await expect(guestbook.count('message')).toHaveText(`${typed.length} / 500`);

      await guestbook.submit.click();
      await expect(guestbook.status).toHaveText(says.posted);
      await guestbook.expectEntry('Steady', typed);
      await expect(guestbook.message).toHaveValue('');
      await expect(guestbook.count('message')).toHaveText('0 / 500');
      expect(posts).toHaveLength(1);
    });
  });
}
