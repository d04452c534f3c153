import { execFileSync } from 'node:child_process';

/**
 * The programs that the stack and the tests run but npm cannot install (redis-server, Chromium):
 * installed with apt where that is safe (as root, with apt-get), otherwise named with the command
 * that installs them.
 */

export function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface SystemPackage {
  command: string;
  apt: string[];
  hint: string;
}

export function ensureSystemPackages(wanted: SystemPackage[], log: (line: string) => void = console.log): void {
  const missing = wanted.filter((item) => !onPath(item.command));
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    throw new Error(missing.map((item) => `${item.command} was not found. ${item.hint}`).join('\n'));
  }
  const packages = missing.flatMap((item) => item.apt);
  log(`installing ${packages.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}

export const REDIS: SystemPackage = {
  command: 'redis-server',
  apt: ['redis-server', 'redis-sentinel'],
  hint: 'Install Redis 7: sudo apt-get install -y redis-server redis-sentinel (Debian, Ubuntu) or brew install redis (macOS).',
};

export const CHROMIUM: SystemPackage = {
  command: 'chromium',
  apt: ['chromium'],
  hint: 'Install Chromium: sudo apt-get install -y chromium (Debian), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
};
