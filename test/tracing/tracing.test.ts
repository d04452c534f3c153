import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverEnv, startProcess, stopProcess, type ServerProcess } from '@/bench/servers';
import { ROLE_ATTRIBUTE } from '@/lib/tracing/redis-role';
import { startFrontTier, type FrontTier } from '@/scripts/front-tier';
import { startRedisPair, type RedisPair } from '@/scripts/redis-server';
import { buildIfNeeded, serverCommand } from '@/scripts/stack';
import { SpanKind, startOtlpReceiver, type OtlpReceiver, type Protocol, type ReceivedSpan } from './otlp-receiver';

/**
 * Traces as an operator gets them: the production build behind its front tier, exporting over
 * OTLP/HTTP (protobuf, and JSON) to a receiver that decodes the real protocol. Posts and reads go
 * through the front tier with and without a W3C traceparent; the spans, their parent links and the
 * app's JSON log lines must tell one story. A process with tracing turned off exports nothing and
 * never loads the SDK.
 */

const PROTOCOLS: Protocol[] = ['http/protobuf', 'http/json'];
const SDK_MODULE = '@opentelemetry/sdk-trace-node';
const TOKEN = 'Bearer trace-test-token';
const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-tracing-'));

interface Site {
  app: ServerProcess;
  front: FrontTier;
  service: string;
}

let receiver: OtlpReceiver;
let redis: RedisPair;
const traced = new Map<Protocol, Site>();
let untraced: Site;

async function startSite(name: string, otel: Record<string, string>): Promise<Site> {
  const service = `guestbook-${name}`;
  const env = {
    ...serverEnv(redis),
    FRONT_TIER: 'true',
    TRUST_PROXY: '1',
    LOG_LEVEL: 'info',
    // Every module that Node loads, by name, in the process's log: whether the SDK ever was.
    NODE_DEBUG: 'module',
    OTEL_SERVICE_NAME: service,
    ...otel,
  };
  const app = await startProcess(name, serverCommand('start', ''), env, '/api/readyz', dir);
  const front = await startFrontTier({
    listen: `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
    upstreams: [new URL(app.origin).host],
    dir: path.join(dir, `front-${name}`),
    staticDir: path.resolve('.next/static'),
  });
  return { app, front, service };
}

beforeAll(async () => {
  buildIfNeeded();
  receiver = await startOtlpReceiver();
  redis = await startRedisPair({ dir: path.join(dir, 'redis'), password: 'trace-admin', appPassword: 'trace-app' });
  const otel = (protocol: Protocol) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_HEADERS: `authorization=${encodeURIComponent(TOKEN)}`,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=trace-test',
    // Batches leave within 0.1 s instead of 5 s, so that the test waits less.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const sites = await Promise.all([
    ...PROTOCOLS.map((protocol) => startSite(protocol.replace('/', '-'), otel(protocol))),
    startSite('off', { ...otel('http/protobuf'), OTEL_SDK_DISABLED: 'true' }),
  ]);
  PROTOCOLS.forEach((protocol, i) => traced.set(protocol, sites[i]!));
  untraced = sites[2]!;
}, 300_000);

afterAll(async () => {
  for (const site of [...traced.values(), untraced]) {
    await site?.front.stop();
    if (site) await stopProcess(site.app);
  }
  await redis?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceparent = (traceId: string, parentId: string) => `00-${traceId}-${parentId}-01`;

const post = (site: Site, headers: Record<string, string> = {}, message = `traced ${hex(4)}`) =>
  fetch(`${site.front.origin}/api/guestbook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ name: 'Tracer', message }),
  });

/** The spans whose parent is not in the trace: its entry alone, once every span has arrived. */
function entries(spans: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans.filter((span) => !ids.has(span.parentSpanId));
}

/**
 * The spans of one trace once `complete` says they are there and they hang together (spans are
 * exported in batches as they end: a parent ends after its children, and may come later).
 */
async function traceSpans(traceId: () => string | undefined, complete: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const id = traceId();
    const spans = id ? receiver.spans.filter((span) => span.traceId === id) : [];
    if (spans.length > 0 && complete(spans) && entries(spans).length === 1) return spans;
    if (Date.now() > deadline) throw new Error(`trace ${id ?? '(not found)'} incomplete after 15 s: ${JSON.stringify(spans.map((span) => span.name))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Next.js's span of the request once it knows the route. A page's request has an outer one too,
 * named by the method alone, which runs the proxy (proxy.ts) before the route is known.
 */
const requestSpan = (spans: ReceivedSpan[], route: string) => spans.find((span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === route);
const redisSpans = (spans: ReceivedSpan[]) => spans.filter((span) => span.attributes['db.system.name'] === 'redis');

/** Every span but the trace's entry, the server's span of the request, hangs off another span of the trace. */
function expectOneTree(spans: ReceivedSpan[], entryParent: string): void {
  expect(entries(spans).map((span) => [span.kind, span.parentSpanId])).toEqual([[SpanKind.SERVER, entryParent]]);
}

interface LogLine {
  msg: string;
  requestId?: string;
  status?: number;
  trace_id?: string;
  span_id?: string;
}

/** The app's JSON log lines (Node's module debugging writes plain lines into the same file). */
const logLines = (site: Site): LogLine[] =>
  readFileSync(site.app.log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

const loadedModules = (site: Site) => readFileSync(site.app.log, 'utf8');

describe.each(PROTOCOLS)('tracing over OTLP %s', (protocol) => {
  const site = () => traced.get(protocol)!;

  it("continues the caller's trace through the front tier: the request, the route, the master's Redis commands, and the log line", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const message = `a visitor's words ${hex(4)}`;
    const response = await post(site(), { traceparent: traceparent(traceId, callerSpan) }, message);
    expect(response.status).toBe(201);

    const spans = await traceSpans(() => traceId, (all) => requestSpan(all, '/api/guestbook') !== undefined && redisSpans(all).length > 0);
    expectOneTree(spans, callerSpan);
    expect(requestSpan(spans, '/api/guestbook')).toMatchObject({ name: 'POST /api/guestbook', attributes: { 'http.method': 'POST', 'http.status_code': 201 } });
    expect(spans.some((span) => span.name === 'executing api route (app) /api/guestbook')).toBe(true);
    const commands = redisSpans(spans);
    expect(commands.every((span) => span.kind === SpanKind.CLIENT && span.attributes[ROLE_ATTRIBUTE] === 'master')).toBe(true);
    // The commands are named, their arguments (the visitor's text, the client's address) are not.
    expect(commands.map((span) => span.attributes['db.query.text'])).toContain('xadd [6 arguments]');
    expect(commands.every((span) => /^[a-z]+( \[\d+ arguments\])?$/.test(String(span.attributes['db.query.text'])))).toBe(true);
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(message);

    const ids = new Set(spans.map((span) => span.spanId));
    const [line] = logLines(site()).filter((entry) => entry.trace_id === traceId && entry.msg === 'request');
    expect(line).toMatchObject({ requestId: response.headers.get('x-request-id'), status: 201 });
    expect(ids.has(line!.span_id!)).toBe(true);
  });

  it('starts a trace for a page without a traceparent: the request, the render and the Redis commands that a replica served', async () => {
    // An address of its own, which the front tier has not cached.
    const marker = hex(6);
    const response = await fetch(`${site().front.origin}/?visit=${marker}`);
    expect(response.status).toBe(200);

    const root = () => receiver.spans.find((span) => span.kind === SpanKind.SERVER && String(span.attributes['http.target']).includes(marker));
    const spans = await traceSpans(() => root()?.traceId, (all) => redisSpans(all).length > 0 && requestSpan(all, '/') !== undefined);
    expectOneTree(spans, '');
    expect(requestSpan(spans, '/')).toMatchObject({ name: 'GET /', attributes: { 'http.status_code': 200 } });
    expect(spans.some((span) => span.name === 'render route (app) /')).toBe(true);
    expect(redisSpans(spans).map((span) => [span.name, span.attributes[ROLE_ATTRIBUTE]])).toContainEqual(['xrevrange', 'replica']);
  });

  it("puts the trace's ids into the log line of an API read, whose Redis commands a replica served", async () => {
    // A limit of its own, so that the front tier has no copy of this list to answer with.
    const response = await fetch(`${site().front.origin}/api/guestbook?limit=${1 + Math.floor(Math.random() * 99)}`);
    expect(response.headers.get('x-cache')).not.toBe('HIT');
    const requestId = response.headers.get('x-request-id');
    const line = () => logLines(site()).find((entry) => entry.requestId === requestId);

    const spans = await traceSpans(() => line()?.trace_id, (all) => requestSpan(all, '/api/guestbook') !== undefined && redisSpans(all).length > 0);
    expectOneTree(spans, '');
    expect(spans.map((span) => span.spanId)).toContain(line()!.span_id);
    expect(redisSpans(spans).every((span) => span.attributes[ROLE_ATTRIBUTE] === 'replica')).toBe(true);
  });

  it('exports with the configured headers, service name and resource attributes, in this encoding', () => {
    const own = receiver.spans.filter((span) => span.resource['service.name'] === site().service);
    expect(own.length).toBeGreaterThan(0);
    for (const span of own) {
      expect(span.protocol).toBe(protocol);
      expect(span.headers.authorization).toBe(TOKEN);
      expect(span.resource['deployment.environment.name']).toBe('trace-test');
    }
    expect(receiver.refused).toEqual([]);
    expect(loadedModules(site())).toContain(SDK_MODULE);
  });
});

describe('tracing off (OTEL_SDK_DISABLED=true beside an endpoint)', () => {
  it('exports nothing, loads no SDK and writes no trace ids, even for a request that brings a traceparent', async () => {
    expect((await post(untraced, { traceparent: traceparent(hex(16), hex(8)) })).status).toBe(201);
    expect((await fetch(`${untraced.front.origin}/?visit=${hex(6)}`)).status).toBe(200);
    // Far beyond the batch delay that the traced processes export within.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    expect(receiver.spans.filter((span) => span.resource['service.name'] === untraced.service)).toEqual([]);
    expect(loadedModules(untraced)).not.toContain(SDK_MODULE);
    const lines = logLines(untraced);
    expect(lines.some((line) => line.msg === 'request' && line.status === 201)).toBe(true);
    expect(lines.filter((line) => line.trace_id !== undefined)).toEqual([]);
  });
});
