import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '@playwright/test';

/** A wrong configuration stops the built server at start, with a message that names the variable. */
test('the server refuses to start with a wrong variable, and says which', () => {
  const server = path.resolve('.next/standalone/server.js');
  const result = spawnSync(process.execPath, [server], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '0', REDIS_MASTER_URL: 'http://redis-master:6379', GET_HOSTS_FROM: 'consul' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('REDIS_MASTER_URL: must be a redis:// or rediss:// URL');
  expect(result.stderr).toContain('GET_HOSTS_FROM: must be "dns" or "env"');
});
