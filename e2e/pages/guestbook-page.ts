import { expect, type Locator, type Page } from '@playwright/test';

/** The guestbook page as a visitor sees it: the form, and the entries newest first. */
export class GuestbookPage {
  readonly name: Locator;
  readonly message: Locator;
  readonly submit: Locator;
  readonly entries: Locator;

  constructor(readonly page: Page) {
    this.name = page.getByLabel('Name');
    this.message = page.getByLabel('Message');
    this.submit = page.getByRole('button', { name: 'Sign' });
    this.entries = page.getByRole('list', { name: /entries/i }).getByRole('listitem');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
  }

  async sign(name: string, message: string): Promise<void> {
    await this.name.fill(name);
    await this.message.fill(message);
    await this.submit.click();
  }

  entry(text: string): Locator {
    return this.entries.filter({ hasText: text });
  }

  async expectEntry(name: string, message: string): Promise<void> {
    const entry = this.entry(message);
    await expect(entry).toHaveCount(1);
    await expect(entry.locator('.entry-name')).toHaveText(name);
    await expect(entry.locator('.entry-message')).toHaveText(message);
  }
}
