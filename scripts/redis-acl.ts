/**
 * The Redis users besides the administrator, each allowed only what it needs, so that a compromised
 * frontend cannot FLUSHALL, CONFIG SET or read anything else, and the metrics exporter reads figures
 * and nothing more. The same rules are in the Kubernetes manifests (k8s/); tests check that each user
 * works with them and is refused the rest.
 */
export const APP_USER = 'guestbook';

export const APP_USER_RULES = [
  '~guestbook:*',
  'resetchannels',
  '-@all',
  // Connection set-up and health.
  '+ping', '+info', '+role', '+hello', '+client|setname',
  // The stream: append, read, tail, moderate; WAIT for replicas.
  '+xadd', '+xrange', '+xrevrange', '+xread', '+xdel', '+wait',
  // Scripts (idempotent append, rate limiter) and the commands that they run.
  '+evalsha', '+eval', '+get', '+set', '+incrby', '+pttl',
];

/** The user of the Redis exporter beside each server (prometheus-redis-exporter, docs/decisions/110). */
export const METRICS_USER = 'metrics';

export const METRICS_USER_RULES = [
  // No key and no channel: the figures come from INFO, not from the data.
  'resetkeys',
  'resetchannels',
  '-@all',
  '+ping', '+info', '+client|setname', '+slowlog|len', '+latency|latest',
  // Not CONFIG GET, which the exporter tries too: it would hand out requirepass and masterauth.
];

/** A `user` directive, as redis-server takes it on its command line. */
const userArgs = (user: string, password: string, rules: string[]) => ['--user', user, 'on', `>${password}`, ...rules];

export const appUserArgs = (password: string) => userArgs(APP_USER, password, APP_USER_RULES);

export const metricsUserArgs = (password: string) => userArgs(METRICS_USER, password, METRICS_USER_RULES);
