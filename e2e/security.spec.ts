import { expect, test } from '@playwright/test';
import { GuestbookPage } from './pages/guestbook-page';

test('the page has a strict Content-Security-Policy and hardening headers, and still works under them', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto('/');
  const headers = response!.headers();
  const csp = headers['content-security-policy']!;
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).not.toMatch(/'unsafe-eval'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-powered-by']).toBeUndefined();

  // A fresh nonce on every page view.
  const again = (await page.request.get('/')).headers()['content-security-policy'];
  expect(again).not.toBe(csp);

  // The page's own scripts run under the policy: the form validates in the browser.
  const guestbook = new GuestbookPage(page);
  await guestbook.submit.click();
  await expect(page.getByText('Please enter your name.')).toBeVisible();
  expect(violations).toEqual([]);
});

test('API responses carry the hardening headers too', async ({ request }) => {
  const headers = (await request.get('/api/guestbook')).headers();
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-powered-by']).toBeUndefined();
});
