import 'server-only';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of the process, served at /api/metrics: requests by route and status, Redis
 * command latency by role, reads that left the replica for the master. One registry per process,
 * kept on globalThis so that hot reloads do not register every metric twice.
 */

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
