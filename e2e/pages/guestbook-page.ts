import { expect, type Locator, type Page } from '@playwright/test';

// An entry's one paragraph is its message.
const MESSAGE = 'p';

/** A post to /api/guestbook as the page sent it. */
export interface Post {
  url: string;
  idempotencyKey: string | undefined;
}

/** The words that the page object finds things by, in Simplified Chinese. */
export const CHINESE = { form: '签名留言', name: '姓名', message: '留言', sign: '签名', list: '留言，最新的在前', older: '查看更早的留言' };

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

  /**
   * Opens the page as a slow phone shows it: the server's HTML is there to type into, but the page's
   * scripts are held back until `release` is called.
   */
  async gotoWithScriptsHeld(path = '/'): Promise<{ release: () => void }> {
    let letThrough!: () => void;
    const released = new Promise<void>((resolve) => (letThrough = resolve));
    await this.page.route('**/_next/static/**/*.js', async (route) => {
      await released;
      await route.continue();
    });
    await this.page.goto(path, { waitUntil: 'domcontentloaded' });
    await expect(this.form).not.toHaveAttribute('novalidate');
    return { release: letThrough };
  }

  /**
   * Waits until the page's script has taken over the form (it then checks the form itself). As long as
   * a page load may take on a busy machine: the scripts are fetched and run only now.
   */
  async hydrated(): Promise<void> {
    await expect(this.form).toHaveAttribute('novalidate', { timeout: 15_000 });
  }

  /** The character counter of a field, e.g. "3 / 64". */
  count(field: 'name' | 'message'): Locator {
    return this.page.locator(`#${field}-count`);
  }

  async sign(name: string, message: string): Promise<void> {
    await this.name.fill(name);
    await this.message.fill(message);
    await this.submit.click();
  }

  /** The posts to /api/guestbook from now on, as the page sends them. */
  recordPosts(): Post[] {
    const posts: Post[] = [];
    this.page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/guestbook') {
        posts.push({ url: request.url(), idempotencyKey: request.headers()['idempotency-key'] });
      }
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
