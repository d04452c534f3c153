import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedisPair } from '../../scripts/redis-server';
import { ensureSystemPackages, REDIS } from '../../scripts/system-packages';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Administrator URLs (flush, statistics, faults) and the app user's URLs. */
    redis: { masterUrl: string; replicaUrl: string; appMasterUrl: string; appReplicaUrl: string };
  }
}

/** Starts a real Redis master and replica on free ports for the whole integration run. */
export default async function setup(project: TestProject) {
  ensureSystemPackages([REDIS]);
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-it-'));
  const pair = await startRedisPair({ dir, password: 'integration-admin', appPassword: 'integration-app' });
  project.provide('redis', {
    masterUrl: pair.master.url,
    replicaUrl: pair.replica.url,
    appMasterUrl: pair.master.appUrl,
    appReplicaUrl: pair.replica.appUrl,
  });
  return async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
