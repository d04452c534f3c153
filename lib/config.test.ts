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

describe('parseConfig: OpenTelemetry traces', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318' };

  it('leaves tracing off by default, and with only a service name or sampler set', () => {
    expect(parseConfig({}).tracing).toEqual({ enabled: false });
    expect(parseConfig({ OTEL_SERVICE_NAME: 'guestbook', OTEL_TRACES_SAMPLER: 'always_on' }).tracing).toEqual({ enabled: false });
  });

  it('turns tracing on when an endpoint is set, over OTLP/HTTP with protobuf and the W3C propagators by default', () => {
    expect(parseConfig(endpoint).tracing).toEqual({ enabled: true, protocol: 'http/protobuf', propagators: ['tracecontext', 'baggage'], logLevel: 'info' });
    expect(parseConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' }).tracing.enabled).toBe(true);
    expect(parseConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing.enabled).toBe(true);
  });

  it('keeps tracing off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, whatever else is set', () => {
    expect(parseConfig({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).tracing).toEqual({ enabled: false });
    expect(parseConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toEqual({ enabled: false });
    expect(parseConfig({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).tracing.enabled).toBe(true);
  });

  it('takes the protocol for traces before the general one', () => {
    expect(parseConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing).toMatchObject({ protocol: 'http/json' });
    expect(parseConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).tracing).toMatchObject({
      protocol: 'http/protobuf',
    });
  });

  it('takes the propagators and the SDK log level', () => {
    expect(parseConfig({ ...endpoint, OTEL_PROPAGATORS: 'tracecontext', OTEL_LOG_LEVEL: 'DEBUG' }).tracing).toMatchObject({
      propagators: ['tracecontext'],
      logLevel: 'debug',
    });
    expect(parseConfig({ ...endpoint, OTEL_PROPAGATORS: 'none' }).tracing).toMatchObject({ propagators: [] });
  });

  it('accepts the other variables that the SDK reads when their values are well formed', () => {
    expect(() =>
      parseConfig({
        ...endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=guestbook',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=production,k8s.pod.name=frontend-1',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
      }),
    ).not.toThrow();
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:// or https:// URL'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/proto' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be http/protobuf or http/json'],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'Bearer abc' }, 'OTEL_EXPORTER_OTLP_HEADERS: must be a list of key=value'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'production' }, 'OTEL_RESOURCE_ATTRIBUTES: must be a list of key=value'],
    [{ OTEL_TRACES_SAMPLER: 'ratio' }, 'OTEL_TRACES_SAMPLER: must be one of always_on'],
    [{ OTEL_TRACES_SAMPLER_ARG: '25%' }, 'OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1'],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1'],
    [{ OTEL_PROPAGATORS: 'tracecontext,b3' }, 'OTEL_PROPAGATORS: must be a list of tracecontext, baggage, none'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER: must be "otlp" or "none"'],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED: must be "true" or "false"'],
    [{ OTEL_BSP_SCHEDULE_DELAY: '1s' }, 'OTEL_BSP_SCHEDULE_DELAY: must be a whole number'],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' }, 'OTEL_EXPORTER_OTLP_COMPRESSION: must be "gzip" or "none"'],
    [{ OTEL_LOG_LEVEL: 'loud' }, 'OTEL_LOG_LEVEL: must be one of none'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(parseError(env)).toContain(message);
  });
});
