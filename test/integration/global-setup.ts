import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedisPair } from '../../scripts/redis-server';
import { ensureSystemPackages, REDIS } from '../../scripts/system-packages';

declare module 'vitest' {
  export interface ProvidedContext {
    redis: { masterUrl: string; replicaUrl: string; dir: string; password: string };
  }
}

/** Starts a real Redis master and replica on free ports for the whole integration run. */
export default async function setup(project: TestProject) {
  ensureSystemPackages([REDIS]);
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-it-'));
  const password = 'integration-test-password';
  const pair = await startRedisPair({ dir, password });
  project.provide('redis', { masterUrl: pair.master.url, replicaUrl: pair.replica.url, dir, password });
  return async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
