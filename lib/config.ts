import { z } from 'zod';
import { tracingConfig, tracingFields, type TracingConfig } from './config-tracing';

/**
 * The environment, parsed once with zod. Every variable of the operator's guide is here; a wrong
 * value fails at start with a message that names the variable and what it expects.
 */

// Kubernetes and shells often set a variable to '' to mean "unset".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const redisUrl = z
  .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL, e.g. redis://redis-master:6379' });

const port = z
  .string()
  .regex(/^\d+$/, 'must be a port number')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be a port number from 1 to 65535').max(65535, 'must be a port number from 1 to 65535'));

const wholeNumber = (what: string) =>
  z.string().regex(/^\d+$/, `must be ${what}`).transform(Number).pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'must be a list of host:port, e.g. sentinel-0:26379,sentinel-1:26379');

const sentinelList = z
  .string()
  .transform((list) => list.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(z.array(hostPort).min(1, 'must name at least one host:port'))
  .transform((items) =>
    items.map((item) => {
      const at = item.lastIndexOf(':');
      return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
    }),
  );

const optionalFields = <T extends Record<string, z.ZodType>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, optional(schema)])) as { [K in keyof T]: ReturnType<typeof optional<T[K]>> };

const EnvSchema = z
  .object({
    REDIS_MASTER_URL: optional(redisUrl),
    REDIS_REPLICA_URL: optional(redisUrl),
    REDIS_PASSWORD: optional(z.string()),
    GET_HOSTS_FROM: optional(z.enum(['dns', 'env'], { error: 'must be "dns" or "env"' })),
    REDIS_MASTER_SERVICE_HOST: optional(z.string()),
    REDIS_MASTER_SERVICE_PORT: optional(port),
    REDIS_SLAVE_SERVICE_HOST: optional(z.string()),
    REDIS_SLAVE_SERVICE_PORT: optional(port),
    REDIS_SENTINELS: optional(sentinelList),
    REDIS_SENTINEL_MASTER: optional(z.string()),
    REDIS_USERNAME: optional(z.string()),
    REDIS_SENTINEL_PASSWORD: optional(z.string()),
    REDIS_TIMEOUT_MS: optional(wholeNumber('a number of milliseconds, e.g. 500').pipe(z.number().min(50, 'must be at least 50 (milliseconds)'))),
    REDIS_REPLICA_MAX_LINK_DOWN_MS: optional(wholeNumber('a number of milliseconds, e.g. 5000')),
    REDIS_WRITE_ACKS: optional(wholeNumber('the number of replicas that must hold an entry before it is acknowledged, e.g. 1')),
    RATE_LIMIT_WRITES_PER_MINUTE: optional(wholeNumber('a whole number of posts (0 turns the limit off)')),
    TRUST_PROXY: optional(wholeNumber('the number of proxy hops to trust (0 trusts none)')),
    GUESTBOOK_ADMIN_TOKEN: optional(z.string().min(16, 'must be at least 16 characters, or unset to turn moderation off')),
    PORT: optional(port),
    FRONT_TIER: optional(z.enum(['true', 'false'], { error: 'must be "true" (a front tier puts a fresh nonce in every page) or "false"' })),
    ...optionalFields(tracingFields),
  })
  .superRefine((env, ctx) => {
    const need = (variable: keyof typeof env, because: string) => {
      if (env[variable] === undefined) ctx.addIssue({ code: 'custom', path: [variable], message: `is required ${because}` });
    };
    if (env.GET_HOSTS_FROM === 'env' && !env.REDIS_MASTER_URL && !env.REDIS_SENTINELS) {
      need('REDIS_MASTER_SERVICE_HOST', 'when GET_HOSTS_FROM=env');
      need('REDIS_MASTER_SERVICE_PORT', 'when GET_HOSTS_FROM=env');
    }
    if (env.REDIS_SENTINELS) need('REDIS_SENTINEL_MASTER', 'when REDIS_SENTINELS is set (the name of the master that the sentinels monitor)');
    if (env.REDIS_SENTINEL_MASTER && !env.REDIS_SENTINELS) need('REDIS_SENTINELS', 'when REDIS_SENTINEL_MASTER is set');
  });

type Env = z.output<typeof EnvSchema>;

/** Where the two clients connect: plain URLs, or the master's name at a set of sentinels. */
export type RedisTopology =
  | { mode: 'direct'; masterUrl: string; replicaUrl: string }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
    };

export interface Config {
  redis: RedisTopology;
  /** Bounds every connect and every command, so a dead Redis answers 503 instead of hanging. */
  redisTimeoutMs: number;
  /** A replica whose link to its master has been down longer than this is not trusted for reads. */
  replicaMaxLinkDownMs: number;
  /** Replicas that must confirm an entry (WAIT) before it is acknowledged with 201. */
  writeAcks: number;
  rateLimitWritesPerMinute: number;
  trustProxyHops: number;
  adminToken?: string;
  port: number;
  /**
   * A front tier stands in front of this server and puts a fresh nonce into every page it passes on,
   * so pages are rendered with a placeholder and may be cached there (docs/decisions/010).
   */
  frontTier: boolean;
  /** OpenTelemetry traces, off unless an exporter is asked for (lib/config-tracing.ts). */
  tracing: TracingConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Fills in REDIS_USERNAME and REDIS_PASSWORD where the URL does not name its own. */
function withCredentials(url: string, username: string | undefined, password: string | undefined): string {
  const parsed = new URL(url);
  const addUser = Boolean(username && !parsed.username);
  const addPassword = Boolean(password && !parsed.password);
  if (!addUser && !addPassword) return url;
  if (addUser) parsed.username = username!;
  if (addPassword) parsed.password = password!;
  return parsed.toString();
}

function hostUrl(host: string, port: number | undefined): string {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return `redis://${bracketed}:${port ?? 6379}`;
}

function topology(env: Env): RedisTopology {
  if (env.REDIS_SENTINELS && env.REDIS_SENTINEL_MASTER) {
    return {
      mode: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      masterName: env.REDIS_SENTINEL_MASTER,
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
    };
  }
  let master: string;
  let replica: string | undefined;
  if (env.REDIS_MASTER_URL) {
    master = env.REDIS_MASTER_URL;
    replica = env.REDIS_REPLICA_URL;
  } else if (env.GET_HOSTS_FROM === 'env') {
    // The variables that Kubernetes injects for the Services that existed when the pod started.
    master = hostUrl(env.REDIS_MASTER_SERVICE_HOST!, env.REDIS_MASTER_SERVICE_PORT);
    replica = env.REDIS_REPLICA_URL ??
      (env.REDIS_SLAVE_SERVICE_HOST ? hostUrl(env.REDIS_SLAVE_SERVICE_HOST, env.REDIS_SLAVE_SERVICE_PORT) : undefined);
  } else {
    // The classic guestbook's in-cluster DNS names.
    master = 'redis://redis-master:6379';
    replica = env.REDIS_REPLICA_URL ?? 'redis://redis-slave:6379';
  }
  return {
    mode: 'direct',
    masterUrl: withCredentials(master, env.REDIS_USERNAME, env.REDIS_PASSWORD),
    replicaUrl: withCredentials(replica ?? master, env.REDIS_USERNAME, env.REDIS_PASSWORD),
  };
}

/** Parses an environment; pure, so every rule is testable without touching process.env. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${String(issue.path[0] ?? '(environment)')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = result.data;
  return {
    redis: topology(env),
    redisTimeoutMs: env.REDIS_TIMEOUT_MS ?? 500,
    replicaMaxLinkDownMs: env.REDIS_REPLICA_MAX_LINK_DOWN_MS ?? 5000,
    // A failover promotes a replica: only an entry that a replica holds is sure to survive one.
    writeAcks: env.REDIS_WRITE_ACKS ?? (env.REDIS_SENTINELS ? 1 : 0),
    rateLimitWritesPerMinute: env.RATE_LIMIT_WRITES_PER_MINUTE ?? 10,
    trustProxyHops: env.TRUST_PROXY ?? 0,
    adminToken: env.GUESTBOOK_ADMIN_TOKEN,
    port: env.PORT ?? 3000,
    frontTier: env.FRONT_TIER === 'true',
    tracing: tracingConfig(env),
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use (at start, from instrumentation.ts). */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
