import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuSeconds } from './proc';

/**
 * Load at a fixed number of connections for a fixed time, spread over both server processes.
 *
 * One autocannon instance with one URL per process: it deals the connections round-robin over the
 * URLs (25 each), so one histogram holds every latency and req/s is the true total. Two instances
 * would need their percentiles merged by approximation, and two load-generator processes would take
 * more of the two cores away from the servers.
 */

export const CONNECTIONS = 50;

export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Makes a JSON body for each request anew. */
  body?: () => string;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requests: number;
  non2xx: number;
  /** How many answers of each status, e.g. { "200": 9000, "503": 3 }. */
  statuses: Record<string, number>;
  errors: number;
  /** CPU time per request of the server processes, and of the load generator (this process). */
  serverCpuUs: number;
  generatorCpuUs: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

let entries = 0;

/** A new entry's JSON, unique for every request, as visitors' posts are. */
export const uniqueEntryBody = () => JSON.stringify({ name: 'bench', message: `Hello from the benchmark, post ${++entries}` });

// autocannon's own `[<id>]` replacement assumes ids of a fixed length and can send a wrong
// Content-Length, which stalls the connection; setupRequest builds each body and its length anew.
const toAutocannon = ({ method = 'GET', path, headers = {}, body }: LoadRequest): autocannon.Request =>
  body
    ? { method, path, headers: { ...JSON_HEADERS, ...headers }, setupRequest: (request) => ({ ...request, body: body() }) }
    : { method, path, headers };

export interface LoadTarget {
  origins: string[];
  /** The server processes behind the origins, whose CPU time is counted. */
  pids: number[];
  /** Their CPU seconds, where processes come and go (nginx's cache loader, Apache's workers). */
  cpuSeconds?: () => number;
}

/** How long a load lasts: a time, or a number of requests. */
export type LoadLength = { seconds: number } | { amount: number };

export async function runLoad(
  { origins, pids, cpuSeconds: cpu = () => cpuSeconds(pids) }: LoadTarget,
  requests: LoadRequest[],
  { warmupSeconds, connections = CONNECTIONS, ...length }: LoadLength & { warmupSeconds: number; connections?: number },
): Promise<LoadResult> {
  const run = (until: LoadLength) =>
    autocannon({
      // autocannon takes several URLs at run time; its type definitions only know one.
      url: origins as unknown as string,
      connections,
      ...('amount' in until ? { amount: until.amount } : { duration: until.seconds }),
      requests: requests.map(toAutocannon),
    });
  if (warmupSeconds > 0) await run({ seconds: warmupSeconds });
  const serverBefore = cpu();
  const generatorBefore = process.cpuUsage();
  const result = await run(length);
  const generator = process.cpuUsage(generatorBefore);
  const perRequest = (microseconds: number) => microseconds / Math.max(1, result.requests.total);
  return {
    serverCpuUs: perRequest((cpu() - serverBefore) * 1e6),
    generatorCpuUs: perRequest(generator.user + generator.system),
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0])),
    errors: result.errors,
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

function timedGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = httpRequest(url, { agent: keepAlive }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`${url}: ${response.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  count: number;
}

/**
 * Latency of one request at a time, alternating over the URLs: the cost of a request alone, at a
 * finer grain than autocannon's whole milliseconds and free of queueing behind other connections.
 */
export async function sequentialLatency(urls: string[], count: number): Promise<LatencyResult> {
  const times: number[] = [];
  // The first tenth warms the connections and the code paths and is not counted.
  const warmup = Math.ceil(count / 10);
  for (let i = 0; i < warmup + count; i++) {
    const time = await timedGet(urls[i % urls.length]!);
    if (i >= warmup) times.push(time);
  }
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), count };
}
