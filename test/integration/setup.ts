import { afterAll, beforeEach, inject } from 'vitest';
import { closeRedis } from '@/lib/redis';
import { withClient } from '../../scripts/redis-server';
import { replicaCaughtUp } from './helpers';

// The app reads its configuration from the environment on first use, as in production, and
// connects as its restricted Redis user.
const redis = inject('redis');
process.env.REDIS_MASTER_URL = redis.appMasterUrl;
process.env.REDIS_REPLICA_URL = redis.appReplicaUrl;
// Rate limits have tests of their own; elsewhere they would only get in the way.
process.env.RATE_LIMIT_WRITES_PER_MINUTE ??= '0';

beforeEach(async () => {
  await withClient(redis.masterUrl, (master) => master.flushall());
  await replicaCaughtUp();
});

afterAll(async () => {
  await closeRedis();
});
