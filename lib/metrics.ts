import 'server-only';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LOCALES } from '@/i18n/locales';

/**
 * Prometheus metrics of the process, served at /api/metrics: requests by route and status, Redis
 * command latency by role, and what only the app knows — where reads were served from, how writes
 * ended, what it refused to take on, its live streams, its replica's lag as it sees it, its memory
 * limit. Their names are what monitoring/rules.yml and the dashboard query (docs/decisions/111).
 * One registry per process, kept on globalThis so that hot reloads do not register every metric twice.
 */

export const READ_SOURCES = ['replica', 'master', 'none'] as const;
export const WRITE_OUTCOMES = ['created', 'replayed', 'refused', 'unconfirmed', 'unavailable', 'error'] as const;
export const SHED_REASONS = ['rate_limited', 'stream_behind'] as const;
export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];

// Values of a uint64 "no limit" (cgroup v1's, libuv's) are far above any real memory size.
const NO_LIMIT = 2 ** 60;

/** The memory limit of the process's cgroup (its container's), or +Inf where there is none. */
export function memoryLimitBytes(limit = process.constrainedMemory()): number {
  return limit > 0 && limit < NO_LIMIT ? limit : Infinity;
}

/** A counter whose every label value is there from the start, at 0, so that rate() has a series to work on. */
function zeroedCounter<Label extends string>(registry: Registry, name: string, help: string, label: Label, values: readonly string[]) {
  const counter = new Counter({ name, help, labelNames: [label], registers: [registry] });
  for (const value of values) counter.inc({ [label]: value } as Record<Label, string>, 0);
  return counter;
}

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, value: number) => {
    const created = new Gauge({ name, help, registers: [registry] });
    created.set(value);
    return created;
  };
  return {
    registry,
    requests: new Histogram({
      name: 'guestbook_http_request_duration_seconds',
      help: 'API requests by route, method and status, and how long they took.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    redisCommands: new Histogram({
      name: 'guestbook_redis_command_duration_seconds',
      help: 'Redis work per request by role (master, replica) and outcome (ok, unavailable, error).',
      labelNames: ['role', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    replicaFallbacks: new Counter({
      name: 'guestbook_replica_fallbacks_total',
      help: 'Reads that the replica did not answer and another server did.',
      registers: [registry],
    }),
    reads: zeroedCounter(registry, 'guestbook_redis_reads_total',
      'Reads of entries by the server that answered them: the replica, the master (the replica not trusted or not answering), or none (503).',
      'source', READ_SOURCES),
    writes: zeroedCounter(registry, 'guestbook_writes_total',
      'Posted entries by outcome: created, replayed (a retry with the same Idempotency-Key), refused (the key reused for another entry), unconfirmed (no replica confirmed it in time), unavailable (the master did not answer), error.',
      'outcome', WRITE_OUTCOMES),
    shed: zeroedCounter(registry, 'guestbook_requests_shed_total',
      'Work that the app refused to take on: posts over a client\'s rate limit (429), live streams dropped for falling too far behind.',
      'reason', SHED_REASONS),
    pageRenders: zeroedCounter(registry, 'guestbook_page_renders_total',
      'Pages rendered, by language: what the front tier\'s page cache did not answer (about one a second a language under load).',
      'language', LOCALES),
    liveStreams: gauge('guestbook_live_streams', 'Live event streams (/api/guestbook/events) open on this process.', 0),
    redisConnected: new Gauge({
      name: 'guestbook_redis_connected',
      help: "1 while the process's connection to the Redis master or replica is ready, else 0.",
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    replicaTrusted: gauge('guestbook_replica_trusted', '1 while reads go to the replica; 0 while the replica is unreachable or cut off from its master and reads go to the master.', 1),
    replicaLag: gauge('guestbook_replica_lag_seconds',
      'How long ago the master had data that the replica serving this process still lacks (polled every second; NaN while either does not answer).', NaN),
    memoryLimit: gauge('guestbook_memory_limit_bytes', "The memory limit of the process's container (cgroup), +Inf without one.", memoryLimitBytes()),
  };
}

const store = globalThis as typeof globalThis & { guestbookMetrics?: ReturnType<typeof createMetrics> };

export function metrics() {
  return (store.guestbookMetrics ??= createMetrics());
}

/** Ids in paths become the route's pattern, so that labels stay few. */
export function routeLabel(pathname: string): string {
  return pathname.replace(/^\/api\/guestbook\/(?!events$)[^/]+$/, '/api/guestbook/[id]');
}
