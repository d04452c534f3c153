import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

const parseError = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('parseConfig', () => {
  it('defaults to the in-cluster DNS names of the classic guestbook', () => {
    expect(parseConfig({}).redis).toEqual({
      mode: 'direct',
      masterUrl: 'redis://redis-master:6379',
      replicaUrl: 'redis://redis-slave:6379',
    });
  });

  it('takes plain URLs, reading from the master when no replica is named', () => {
    expect(parseConfig({ REDIS_MASTER_URL: 'redis://db:6380' }).redis).toEqual({
      mode: 'direct',
      masterUrl: 'redis://db:6380',
      replicaUrl: 'redis://db:6380',
    });
    expect(parseConfig({ REDIS_MASTER_URL: 'redis://a:1', REDIS_REPLICA_URL: 'rediss://b:2' }).redis).toMatchObject({
      masterUrl: 'redis://a:1',
      replicaUrl: 'rediss://b:2',
    });
  });

  it('takes the hosts that Kubernetes injects when GET_HOSTS_FROM=env', () => {
    const config = parseConfig({
      GET_HOSTS_FROM: 'env',
      REDIS_MASTER_SERVICE_HOST: '10.0.0.11',
      REDIS_MASTER_SERVICE_PORT: '6379',
      REDIS_SLAVE_SERVICE_HOST: '10.0.0.12',
      REDIS_SLAVE_SERVICE_PORT: '6380',
    });
    expect(config.redis).toEqual({ mode: 'direct', masterUrl: 'redis://10.0.0.11:6379', replicaUrl: 'redis://10.0.0.12:6380' });
  });

  it('brackets an IPv6 service host', () => {
    const config = parseConfig({ GET_HOSTS_FROM: 'env', REDIS_MASTER_SERVICE_HOST: 'fd00::1', REDIS_MASTER_SERVICE_PORT: '6379' });
    expect(config.redis).toMatchObject({ masterUrl: 'redis://[fd00::1]:6379', replicaUrl: 'redis://[fd00::1]:6379' });
  });

  it('adds REDIS_PASSWORD to URLs that carry none, and keeps one that a URL carries', () => {
    const config = parseConfig({
      REDIS_MASTER_URL: 'redis://master:6379',
      REDIS_REPLICA_URL: 'redis://:own@replica:6379',
      REDIS_PASSWORD: 's3cret/with@chars',
    });
    expect(config.redis).toEqual({
      mode: 'direct',
      masterUrl: 'redis://:s3cret%2Fwith%40chars@master:6379',
      replicaUrl: 'redis://:own@replica:6379',
    });
    expect(new URL((config.redis as { masterUrl: string }).masterUrl).password).toBe('s3cret%2Fwith%40chars');
  });

  it('adds REDIS_USERNAME with the password, so the in-cluster names work with an ACL user', () => {
    expect(parseConfig({ REDIS_USERNAME: 'guestbook', REDIS_PASSWORD: 'pw' }).redis).toEqual({
      mode: 'direct',
      masterUrl: 'redis://guestbook:pw@redis-master:6379',
      replicaUrl: 'redis://guestbook:pw@redis-slave:6379',
    });
  });

  it('adds the password to a URL that names only its user, as the manifests do', () => {
    expect(parseConfig({ REDIS_MASTER_URL: 'redis://guestbook@redis-master:6379', REDIS_PASSWORD: 'pw' }).redis).toMatchObject({
      masterUrl: 'redis://guestbook:pw@redis-master:6379',
    });
  });

  it('reads Sentinel mode', () => {
    const config = parseConfig({
      REDIS_SENTINELS: 'sentinel-0:26379, sentinel-1:26380',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_USERNAME: 'guestbook',
      REDIS_PASSWORD: 'pw',
      REDIS_SENTINEL_PASSWORD: 'spw',
    });
    expect(config.redis).toEqual({
      mode: 'sentinel',
      sentinels: [{ host: 'sentinel-0', port: 26379 }, { host: 'sentinel-1', port: 26380 }],
      masterName: 'mymaster',
      username: 'guestbook',
      password: 'pw',
      sentinelPassword: 'spw',
    });
    // Only an entry that a replica holds survives a failover: Sentinel mode waits for one.
    expect(config.writeAcks).toBe(1);
  });

  it('has defaults for the rest', () => {
    expect(parseConfig({})).toMatchObject({ redisTimeoutMs: 500, rateLimitWritesPerMinute: 10, trustProxyHops: 0, port: 3000 });
    expect(parseConfig({}).adminToken).toBeUndefined();
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ REDIS_MASTER_URL: '', GET_HOSTS_FROM: '', PORT: '' })).toMatchObject({
      redis: { masterUrl: 'redis://redis-master:6379' },
      port: 3000,
    });
  });

  it.each([
    [{ REDIS_MASTER_URL: 'http://redis:6379' }, 'REDIS_MASTER_URL: must be a redis:// or rediss:// URL'],
    [{ REDIS_MASTER_URL: 'redis-master' }, 'REDIS_MASTER_URL: must be a redis:// or rediss:// URL'],
    [{ REDIS_REPLICA_URL: 'not a url' }, 'REDIS_REPLICA_URL: must be a redis:// or rediss:// URL'],
    [{ GET_HOSTS_FROM: 'consul' }, 'GET_HOSTS_FROM: must be "dns" or "env"'],
    [{ GET_HOSTS_FROM: 'env' }, 'REDIS_MASTER_SERVICE_HOST: is required when GET_HOSTS_FROM=env'],
    [{ GET_HOSTS_FROM: 'env', REDIS_MASTER_SERVICE_HOST: 'h', REDIS_MASTER_SERVICE_PORT: '70000' }, 'REDIS_MASTER_SERVICE_PORT: must be a port number'],
    [{ REDIS_SENTINELS: 'a:1' }, 'REDIS_SENTINEL_MASTER: is required when REDIS_SENTINELS is set'],
    [{ REDIS_SENTINELS: 'a', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS: must be a list of host:port'],
    [{ REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS: is required when REDIS_SENTINEL_MASTER is set'],
    [{ REDIS_TIMEOUT_MS: '10' }, 'REDIS_TIMEOUT_MS: must be at least 50'],
    [{ RATE_LIMIT_WRITES_PER_MINUTE: 'many' }, 'RATE_LIMIT_WRITES_PER_MINUTE: must be a whole number'],
    [{ TRUST_PROXY: '-1' }, 'TRUST_PROXY: must be the number of proxy hops'],
    [{ GUESTBOOK_ADMIN_TOKEN: 'short' }, 'GUESTBOOK_ADMIN_TOKEN: must be at least 16 characters'],
    [{ PORT: 'eighty' }, 'PORT: must be a port number'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(parseError(env)).toContain(message);
  });

  it('names every wrong variable at once', () => {
    const message = parseError({ PORT: '0', GET_HOSTS_FROM: 'x' });
    expect(message).toContain('PORT:');
    expect(message).toContain('GET_HOSTS_FROM:');
  });
});
