import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { uniqueEntryBody, type LoadRequest } from './load';
import { fixed, markdownTable } from './report';
import { cpuPerRequest, measureInTurns, spread, type Cost } from './rounds';
import { startProcess, stopProcess, type Stack } from './servers';

/**
 * What tracing costs the app: two more app processes of the same build over the same Redis, one with
 * tracing off (the default) and one with it on — every request sampled, exported over OTLP/HTTP
 * (protobuf) to a sink on loopback that takes the batches and drops them — measured in turns
 * (bench/rounds.ts), straight from Next.js: the front tier would answer most reads from its cache.
 */

const LOADS: Record<string, LoadRequest[]> = {
  'GET /api/guestbook': [{ path: '/api/guestbook' }],
  'GET /': [{ path: '/' }],
  'POST /api/guestbook': [{ method: 'POST', path: '/api/guestbook', body: uniqueEntryBody }],
};
const CONNECTIONS = 10;

export interface TracingRow {
  load: string;
  off: Cost;
  on: Cost;
}

export interface TracingResults {
  rows: TracingRow[];
  /** What the sink received from the traced process. */
  exportedKb: number;
  exportRequests: number;
}

/** An OTLP/HTTP endpoint that accepts every batch and keeps nothing but a count. */
async function startSink() {
  const received = { bytes: 0, requests: 0 };
  const server = http.createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.requests++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function measureTracing(
  stack: Stack,
  settings: { rounds: number; amount: number },
  log: (line: string) => void,
): Promise<TracingResults> {
  const sink = await startSink();
  const command: [string, string[]] = [process.execPath, [path.join(stack.build, 'server.js')]];
  const off = await startProcess('tracing-off', command, stack.appEnv, '/api/readyz', stack.dir);
  const on = await startProcess('tracing-on', command, { ...stack.appEnv, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER: 'always_on' }, '/api/readyz', stack.dir);
  try {
    log(`tracing off and on, in turns: ${settings.rounds} rounds of ${settings.amount} requests a load…`);
    // Each process compiles its code on its first requests: one round of each load, not counted.
    await measureInTurns([off, on], LOADS, { rounds: 1, amount: settings.amount, connections: CONNECTIONS }, () => {});
    const costs = await measureInTurns([off, on], LOADS, { rounds: settings.rounds, amount: settings.amount, connections: CONNECTIONS }, log);
    return {
      rows: Object.keys(LOADS).map((load) => ({ load, off: costs.get(off)![load]!, on: costs.get(on)![load]! })),
      exportedKb: sink.received.bytes / 1024,
      exportRequests: sink.received.requests,
    };
  } finally {
    await Promise.all([stopProcess(off), stopProcess(on)]);
    await sink.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const cpu = (cost: Cost) => `${fixed(cpuPerRequest(cost))} µs (${spread(cost.rounds)})`;
const latency = (cost: Cost) => `${fixed(median(cost.p50Ms), 1)} / ${fixed(median(cost.p99Ms), 1)} ms`;

export function tracingSummary({ rows, exportedKb, exportRequests }: TracingResults): string {
  const table = markdownTable(
    ['request', 'server CPU, tracing off (rounds p25–p75)', 'tracing on', 'on ÷ off', 'p50 / p99, off', 'p50 / p99, on'],
    rows.map(({ load, off, on }) => [load, cpu(off), cpu(on), `${fixed(cpuPerRequest(on) / cpuPerRequest(off), 2)}×`, latency(off), latency(on)]),
  );
  return `Tracing: the same build with tracing off and on (every request sampled), in turns, ${CONNECTIONS} connections, straight to Next.js\n${table}\nexported while on: ${fixed(exportedKb)} KB in ${exportRequests} OTLP requests`;
}
