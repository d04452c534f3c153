import { afterAll, beforeEach, inject } from 'vitest';
import { closeRedis } from '@/lib/redis';
import { withClient } from '../../scripts/redis-server';
import { replicaCaughtUp } from './helpers';

// The app reads its configuration from the environment on first use, as in production.
const redis = inject('redis');
process.env.REDIS_MASTER_URL = redis.masterUrl;
process.env.REDIS_REPLICA_URL = redis.replicaUrl;

beforeEach(async () => {
  await withClient(redis.masterUrl, (master) => master.flushall());
  await replicaCaughtUp();
});

afterAll(async () => {
  await closeRedis();
});
