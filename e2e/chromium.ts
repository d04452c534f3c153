import { execSync } from 'node:child_process';
import type { LaunchOptions } from '@playwright/test';

/** Debian's Chromium (no browser downloads here), as the end-to-end and the cluster tests launch it. */

function systemChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execSync('command -v chromium || command -v chromium-browser', { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: systemChromium(),
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
};
