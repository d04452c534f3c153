import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

/**
 * End-to-end tests drive Debian's Chromium against `npm start` itself: the production build with its
 * own Redis master and replica, exactly as a new user runs it.
 */

const PORT = Number(process.env.E2E_PORT ?? 3210);
// Set once in the main process; workers inherit it through the environment.
process.env.GUESTBOOK_E2E_DATA ??= mkdtempSync(path.join(tmpdir(), 'guestbook-e2e-'));

export default defineConfig({
  testDir: 'e2e',
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: 2,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 30_000,
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: chromiumLaunchOptions,
      },
    },
  ],
  webServer: {
    command: 'npm start',
    url: `http://localhost:${PORT}/api/readyz`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    gracefulShutdown: { signal: 'SIGINT', timeout: 15_000 },
    // Every test posts from 127.0.0.1; the rate limit has integration tests of its own.
    env: {
      PORT: String(PORT),
      GUESTBOOK_DATA_DIR: process.env.GUESTBOOK_E2E_DATA,
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      // As Docker and Kubernetes set it: a name that is not loopback. npm start must listen on localhost whatever it says.
      HOSTNAME: 'guestbook-e2e-container-name.invalid',
    },
  },
});
