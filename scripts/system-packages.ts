import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The programs that the stack, the tests and the benchmark run but npm cannot install (redis-server,
 * Chromium, Apache with PHP):
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
  /** Files that some of the packages install beside the command (a module, a library): the command alone does not prove them. */
  files?: string[];
  apt: string[];
  hint: string;
}

const absent = (item: SystemPackage) => [
  ...(onPath(item.command) ? [] : [item.command]),
  ...(item.files ?? []).filter((file) => !existsSync(file)),
];

export function ensureSystemPackages(wanted: SystemPackage[], log: (line: string) => void = console.log): void {
  const missing = wanted.filter((item) => absent(item).length > 0);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    throw new Error(missing.map((item) => `${absent(item).join(', ')}: not found. ${item.hint}`).join('\n'));
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

/** The classic guestbook's frontend (bench/classic/): Apache prefork with mod_php, and Predis. */
export const APACHE_PHP: SystemPackage = {
  command: 'apache2',
  files: ['/usr/lib/apache2/modules/libphp8.2.so', '/usr/share/php/Predis/Autoloader.php'],
  apt: ['apache2', 'libapache2-mod-php', 'php-nrk-predis'],
  hint: 'Install Apache with PHP and Predis: sudo apt-get install -y apache2 libapache2-mod-php php-nrk-predis (Debian 12; apache2 is in /usr/sbin).',
};
