import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withClient } from '../scripts/redis-server';
import { APACHE_PHP, ensureSystemPackages } from '../scripts/system-packages';
import { commandCalls } from '../test/integration/helpers';
import { cpuSeconds } from './proc';
import { CLASSIC_KEY, CLASSIC_READ_PATH, classicRedis, seedClassic, startClassic, type ClassicServer } from './classic';

// The benchmark's comparison means something only if the re-creation does what the classic did: the
// real Apache, mod_php and Predis against the integration run's real master and replica.
describe('the classic PHP frontend', () => {
  const redis = inject('redis');
  let dir: string;
  let classic: ClassicServer;

  beforeAll(async () => {
    ensureSystemPackages([APACHE_PHP]);
    dir = mkdtempSync(path.join(tmpdir(), 'guestbook-classic-'));
    classic = await startClassic({ dir, ...classicRedis(redis.masterUrl, redis.replicaUrl) });
  });
  afterAll(async () => {
    await classic?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page as a static file: a form, and a script that reads guestbook.php', async () => {
    const response = await fetch(`${classic.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<form[^>]*>[\s\S]*<input[^>]*type="text"[\s\S]*<button[^>]*>Submit<\/button>[\s\S]*<\/form>/);
    expect(html).toContain('guestbook.php?cmd=get&key=messages');
  });

  it('answers cmd=get with the whole string, read from the replica with one GET', async () => {
    const value = await seedClassic(redis.masterUrl, redis.replicaUrl, 10);
    expect(value.split(',')).toHaveLength(10);
    const before = await Promise.all([commandCalls(redis.masterUrl), commandCalls(redis.replicaUrl)]);

    const response = await fetch(classic.origin + CLASSIC_READ_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(await response.text())).toEqual({ data: value });

    const [master, replica] = await Promise.all([commandCalls(redis.masterUrl), commandCalls(redis.replicaUrl)]);
    expect(replica.get ?? 0).toBe((before[1].get ?? 0) + 1);
    expect(master.get ?? 0).toBe(before[0].get ?? 0);
  });

  it('answers cmd=set by writing the whole string on the master', async () => {
    const value = 'Guest 1: Hello guestbook!,Guest 2: Hello again!';
    const response = await fetch(`${classic.origin}/guestbook.php?cmd=set&key=${CLASSIC_KEY}&value=${encodeURIComponent(value)}`);
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toEqual({ message: 'Updated' });
    expect(await withClient(redis.masterUrl, (master) => master.get(CLASSIC_KEY))).toBe(value);
  });

  it('lists its Apache parent and workers', () => {
    const pids = classic.pids();
    // StartServers 5: the parent and at least five workers.
    expect(pids.length).toBeGreaterThanOrEqual(6);
    for (const pid of pids) expect(command(pid)).toBe('apache2');
  });

  it('keeps counting the CPU time of a worker after it has ended', async () => {
    // Enough requests that every worker has used some clock ticks.
    for (let i = 0; i < 500; i++) await fetch(classic.origin + CLASSIC_READ_PATH).then((response) => response.arrayBuffer());
    const [, ...workers] = classic.pids();
    const busiest = workers.reduce((most, pid) => (cpuSeconds([pid]) > cpuSeconds([most]) ? pid : most));
    expect(cpuSeconds([busiest])).toBeGreaterThan(0);
    const before = classic.cpuSeconds();

    process.kill(busiest, 'SIGKILL');
    // Gone once Apache has reaped it (and started another).
    await expect.poll(() => existsSync(`/proc/${busiest}`), { timeout: 5_000 }).toBe(false);
    expect(classic.cpuSeconds()).toBeGreaterThanOrEqual(before);
  });

  // Last: the other tests use this server.
  it('stops the parent and every worker', async () => {
    const pids = classic.pids();
    await classic.stop();
    expect(pids.filter(alive)).toEqual([]);
  });
});

const command = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// An interrupted benchmark may die without running any cleanup (SIGKILL, or a signal it does not handle).
describe('the classic PHP frontend of a process killed outright', () => {
  const redis = inject('redis');

  it('ends with that process', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-classic-'));
    const script = `
      const { classicRedis, startClassic } = require('./bench/classic');
      startClassic({ dir: process.env.DIR, ...classicRedis(process.env.MASTER, process.env.REPLICA) })
        .then((classic) => console.log(JSON.stringify(classic.pids())));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, DIR: dir, MASTER: redis.masterUrl, REPLICA: redis.replicaUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const pids = JSON.parse(line.toString()) as number[];
    expect(pids.filter(alive)).toHaveLength(pids.length);

    child.kill('SIGKILL');
    await expect.poll(() => pids.filter(alive), { timeout: 10_000 }).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
