import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentile } from './load';

/**
 * Live updates: many Server-Sent Events subscribers on one app process, entries posted through both
 * processes, and for every subscriber the time from each POST's 201 to that entry's event.
 */

export const EVENTS_PATH = '/api/guestbook/events';
const CONNECT_BATCH = 100;
const SETTLE_MS = 1_000;
const DELIVERY_TIMEOUT_MS = 5_000;

export interface SseOptions {
  subscribeOrigin: string;
  postOrigins: string[];
  subscribers: number;
  posts: number;
  gapMs: number;
}

export type SseResult =
  | { available: false; reason: string }
  | { available: true; subscribers: number; posts: number; expected: number; delivered: number; p50Ms: number; p99Ms: number; maxMs: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When each event arrived at any subscriber, by entry id. */
type Arrivals = Map<string, number[]>;

function note(arrivals: Arrivals, id: string, at: number): void {
  const times = arrivals.get(id);
  if (times) times.push(at);
  else arrivals.set(id, [at]);
}

function open(url: string): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false, headers: { Accept: 'text/event-stream' } }, (response) => resolve({ request, response }));
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url}`)));
    request.on('error', reject);
    request.end();
  });
}

const isEventStream = (response: IncomingMessage) =>
  response.statusCode === 200 && String(response.headers['content-type']).startsWith('text/event-stream');

/** Reads the stream line by line and notes when each event (by its `id:` field) arrives. */
function listen(response: IncomingMessage, arrivals: Arrivals): void {
  let buffered = '';
  let id = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const now = performance.now();
    const lines = (buffered + chunk).split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line === '' && id) {
        note(arrivals, id, now);
        id = '';
      }
    }
  });
}

async function subscribe(url: string, count: number, arrivals: Arrivals): Promise<ClientRequest[]> {
  const requests: ClientRequest[] = [];
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, () => open(url)));
    for (const { request, response } of batch) {
      request.setTimeout(0);
      listen(response, arrivals);
      requests.push(request);
    }
  }
  return requests;
}

/** Posts one entry; resolves with its id and the moment its 201 arrived. */
async function post(origin: string, n: number): Promise<{ id: string; at: number }> {
  const response = await fetch(`${origin}/api/guestbook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench', message: `Live update ${n} at ${Date.now()}` }),
  });
  const at = performance.now();
  if (response.status !== 201) throw new Error(`POST answered ${response.status}`);
  return { id: ((await response.json()) as { id: string }).id, at };
}

async function waitForDeliveries(arrivals: Arrivals, ids: string[], expected: number): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  const delivered = () => ids.reduce((sum, id) => sum + (arrivals.get(id)?.length ?? 0), 0);
  while (delivered() < expected && Date.now() < deadline) await sleep(50);
}

async function availability(url: string): Promise<string | null> {
  try {
    const { request, response } = await open(url);
    request.destroy();
    return isEventStream(response) ? null : `GET ${EVENTS_PATH} answered ${response.statusCode} ${response.headers['content-type'] ?? ''}`;
  } catch (error) {
    return String(error);
  }
}

export async function measureSse(options: SseOptions): Promise<SseResult> {
  const url = options.subscribeOrigin + EVENTS_PATH;
  const unavailable = await availability(url);
  if (unavailable) return { available: false, reason: unavailable };

  const arrivals: Arrivals = new Map();
  const subscribers = await subscribe(url, options.subscribers, arrivals);
  try {
    await sleep(SETTLE_MS);
    const posted: { id: string; at: number }[] = [];
    for (let n = 0; n < options.posts; n++) {
      // An event can arrive before its 201: that counts as a negative delay, not as a miss.
      posted.push(await post(options.postOrigins[n % options.postOrigins.length]!, n));
      await sleep(options.gapMs);
    }
    const expected = options.posts * subscribers.length;
    await waitForDeliveries(arrivals, posted.map(({ id }) => id), expected);
    const latencies = posted.flatMap(({ id, at }) => (arrivals.get(id) ?? []).map((time) => time - at));
    return {
      available: true,
      subscribers: subscribers.length,
      posts: options.posts,
      expected,
      delivered: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
    };
  } finally {
    subscribers.forEach((request) => request.destroy());
  }
}
