import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Creating the clients prints nothing: ioredis 5 parsed URLs with url.parse, which Node 24 reports
 * (DEP0169) at every start of the image. Node 24 reports it only for code outside node_modules (as
 * Next's server bundle is); Node 20 and 22 only with --pending-deprecation, which also covers
 * node_modules. So the clients are created in a child process with that flag, where any deprecation
 * throws, and `server-only` resolves as it does in a server bundle.
 */

const createBothClients = `
const { createRedisClient } = require('@/lib/redis');
for (const role of ['master', 'replica']) createRedisClient(role, { lazyConnect: true }).disconnect();
`;

const topologies = {
  URLs: { REDIS_MASTER_URL: 'redis://:pw@127.0.0.1:1', REDIS_REPLICA_URL: 'redis://:pw@127.0.0.1:2' },
  Sentinel: { REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_MASTER: 'guestbook', REDIS_SENTINEL_PASSWORD: 'pw' },
};

describe('the Redis clients of lib/redis', () => {
  it.each(Object.entries(topologies))('are created without any warning (%s)', (_topology, env) => {
    const child = spawnSync(
      process.execPath,
      ['--pending-deprecation', '--throw-deprecation', '--conditions=react-server', '--import', 'tsx', '-e', createBothClients],
      { env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'error', ...env }, encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
  });
});
