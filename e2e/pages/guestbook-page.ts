import { expect, type Locator, type Page } from '@playwright/test';

// An entry's one paragraph is its message.
const MESSAGE = 'p';

/** The guestbook page as a visitor sees it: the form, and the entries newest first. */
export class GuestbookPage {
  readonly form: Locator;
  readonly name: Locator;
  readonly message: Locator;
  readonly submit: Locator;
  readonly list: Locator;
  readonly entries: Locator;
  readonly showOlder: Locator;
  readonly status: Locator;

  constructor(
    readonly page: Page,
    readonly words = {
      form: 'Sign the guestbook', name: 'Name', message: 'Message', sign: 'Sign', list: 'Entries, newest first', older: 'Show older entries',
    },
  ) {
    this.form = page.getByRole('form', { name: words.form });
    this.name = page.getByRole('textbox', { name: words.name });
    this.message = page.getByRole('textbox', { name: words.message });
    this.submit = page.getByRole('button', { name: words.sign, exact: true });
    this.list = page.getByRole('list', { name: words.list });
    this.entries = this.list.getByRole('listitem');
    this.showOlder = page.getByRole('link', { name: words.older });
    this.status = page.getByRole('status');
  }

  async goto(path = '/'): Promise<void> {
    await this.page.goto(path);
  }

  async sign(name: string, message: string): Promise<void> {
    await this.name.fill(name);
    await this.message.fill(message);
    await this.submit.click();
  }

  /** The posts to /api/guestbook from now on (their URLs), as the page sends them. */
  recordPosts(): string[] {
    const posts: string[] = [];
    this.page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/guestbook') posts.push(request.url());
    });
    return posts;
  }

  entry(message: string): Locator {
    return this.entries.filter({ has: this.page.locator(MESSAGE, { hasText: message }) });
  }

  async expectEntry(name: string, message: string): Promise<void> {
    const entry = this.entry(message);
    await expect(entry).toHaveCount(1);
    await expect(entry.getByRole('heading')).toHaveText(name);
    await expect(entry.locator(MESSAGE)).toHaveText(message);
  }

  /** The messages shown, in order, of the entries whose name is `name`. */
  async messagesBy(name: string): Promise<string[]> {
    return this.entries
      .filter({ has: this.page.getByRole('heading', { name, exact: true }) })
      .locator(MESSAGE)
      .allTextContents();
  }
}
