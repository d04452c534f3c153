import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from '../wait';

/** The Docker CLI and engine for the container tests: a real engine, started here if it can be. */

// Debian's docker.io client builds with BuildKit by itself; a newer client elsewhere on PATH may need
// the buildx plugin, which Debian's engine does not bring.
export const dockerCli = process.env.DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');

const exec = promisify(execFile);

export async function docker(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await exec(dockerCli, args, { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`docker ${args.join(' ')} failed:\n${stderr || stdout || String(error)}`, { cause: error });
  }
}

const engineAnswers = () => docker(['info', '--format', '{{.ServerVersion}}']).then(() => true, () => false);

const which = (command: string) =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => existsSync(path.join(dir, command)));

/**
 * True when an engine answers: a running one, or dockerd started here when we are root and it is
 * installed. It is left running for the rest of the machine's session, as a service would be.
 */
export async function ensureEngine(): Promise<boolean> {
  if (await engineAnswers()) return true;
  if (process.getuid?.() !== 0 || !which('dockerd')) return false;
  const log = openSync(path.join(tmpdir(), 'guestbook-dockerd.log'), 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  try {
    await waitUntil('dockerd to answer', 60_000, engineAnswers);
    return true;
  } catch {
    return false;
  }
}
