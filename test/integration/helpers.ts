import { inject } from 'vitest';
import { metrics } from '@/lib/metrics';
import { waitForReplicaCatchUp, withClient } from '../../scripts/redis-server';

export const redisUrls = () => inject('redis');

type Handler = (request: Request, context: never) => Promise<Response> | Response;

/** Calls a route handler the way Next.js does: a Request in, a Response out. */
export function call(handler: Handler, path: string, init: RequestInit = {}, params: Record<string, string> = {}) {
  const request = new Request(new URL(path, 'http://localhost'), { duplex: 'half', ...init } as RequestInit);
  return handler(request, { params: Promise.resolve(params) } as never);
}

export const postJson = (handler: Handler, body: unknown, headers: Record<string, string> = {}) =>
  call(handler, '/api/guestbook', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Waits until the replica has applied everything that the master has written so far. */
export async function replicaCaughtUp(): Promise<void> {
  const { masterUrl, replicaUrl } = redisUrls();
  await waitForReplicaCatchUp(masterUrl, replicaUrl, 5_000);
}

/** How many times each command ran on a server since its stats were last reset. */
export async function commandCalls(url: string): Promise<Record<string, number>> {
  const info = await withClient(url, (c) => c.info('commandstats'));
  const calls: Record<string, number> = {};
  for (const [, command, count] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) calls[command!] = Number(count);
  return calls;
}

export async function resetCommandStats(): Promise<void> {
  const { masterUrl, replicaUrl } = redisUrls();
  await Promise.all([masterUrl, replicaUrl].map((url) => withClient(url, (c) => c.config('RESETSTAT'))));
}

/** The value of one series of the app's metrics (summed over the series with other labels), as Prometheus would scrape it. */
export async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await metrics().registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  const values = (found.values as { labels: Record<string, string | number>; value: number }[]).filter((value) =>
    Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return values.reduce((sum, value) => sum + value.value, 0);
}
