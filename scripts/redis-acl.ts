/**
 * The Redis user that the app connects as: its own keys only, and only the commands it runs, so that
 * a compromised frontend cannot FLUSHALL, CONFIG SET or read anything else. The same rules are in the
 * Kubernetes manifests (k8s/); a test checks that the app works with them and is refused the rest.
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

/** The `user` directive, as redis-server takes it on its command line. */
export const appUserArgs = (password: string) => ['--user', APP_USER, 'on', `>${password}`, ...APP_USER_RULES];
