import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Entry } from '@/lib/guestbook/schema';
import { randomUuid } from '@/lib/uuid';
import { sleep } from '../wait';

/**
 * Visitors through the NodePort while the cluster is disturbed, every response counted: readers on
 * URLs never asked before (so the front tier's one-second cache hides no failure behind a copy),
 * writers whose acknowledged entries are kept to be found again, and live streams that reconnect as
 * a browser's EventSource does (after `retry`, with Last-Event-ID).
 *
 * Each request opens a connection of its own, as a new visitor does: kube-proxy then sends it to a pod
 * that is ready at that moment. (A browser's kept-alive connection that a stopping pod closes is
 * retried by the browser; a test that counted that race would measure its client, not the cluster.)
 */

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Each visitor's pause between two requests: visitors, not a benchmark. Without it six loops keep two
 * cores busy by themselves, and a starting pod's extra work pushes requests past the front tier's
 * queue deadline: a measure of capacity (npm run bench), not of a rollout.
 */
const THINK_MS = 100;

export function send(origin: string, path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${origin}${path}`,
      { method: options.method ?? 'GET', agent: false, headers: { ...(options.body && { 'content-type': 'application/json' }), ...options.headers } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Posts one entry as the page does (JSON, an idempotency key); the entry when acknowledged. */
export async function sign(origin: string, name: string, message: string): Promise<{ answer: Answer; entry?: Entry }> {
  const answer = await send(origin, '/api/guestbook', { method: 'POST', body: JSON.stringify({ name, message }), headers: { 'idempotency-key': randomUuid() } });
  return { answer, entry: answer.status === 201 ? (JSON.parse(answer.body) as Entry) : undefined };
}

/** Every entry of the guestbook, newest first, page by page through the API. */
export async function allEntries(origin: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const answer = await send(origin, `/api/guestbook?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}&fresh=${randomUuid()}`);
    if (answer.status !== 200) throw new Error(`GET /api/guestbook: ${answer.status} ${answer.body}`);
    const page = JSON.parse(answer.body) as { entries: Entry[]; nextCursor: string | null };
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor);
  return entries;
}

export interface Tally {
  requests: number;
  /** Answers by kind, e.g. { "GET 200": 812, "POST 201": 90, "POST 503": 4 }. */
  answers: Record<string, number>;
  /** What no visitor should get: network errors, timeouts, and statuses not allowed in this step. */
  failures: string[];
  /** Writes refused with 503 and Retry-After: allowed only where a step says so. */
  refusedWrites: number;
  /** Reads refused with 503 and Retry-After: allowed only where a step says so. */
  refusedReads: number;
  acknowledged: Entry[];
}

export interface TrafficOptions {
  readers: number;
  writers: number;
  /** Live streams held open throughout. */
  streams: number;
  /** Whether a write may be refused with 503 + Retry-After (the master is away). */
  writesMayWait?: boolean;
  /** Whether a read may be refused with 503 + Retry-After (a Sentinel failover moves every connection). */
  readsMayWait?: boolean;
}

/** One live stream, kept open as EventSource keeps it: reconnected after its `retry`, from the last id. */
class LiveStream {
  readonly received = new Set<string>();
  reconnects = 0;
  private lastId: string | undefined;
  private stopped = false;
  private current?: ReturnType<typeof httpRequest>;
  /**
   * When the server first said `retry:`, which it does once it has subscribed the stream to new
   * entries: every entry acknowledged after that must arrive.
   */
  openedAt?: number;
  readonly done: Promise<void>;

  constructor(private readonly origin: string, private readonly failures: string[]) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let retryMs = 3_000;
      try {
        retryMs = await this.once();
      } catch (error) {
        if (!this.stopped) this.failures.push(`live stream: ${(error as Error).message}`);
      }
      if (this.stopped) return;
      this.reconnects++;
      await sleep(retryMs);
    }
  }

  /** One connection, until the server ends it; the retry time that it set. */
  private once(): Promise<number> {
    return new Promise((resolve, reject) => {
      let retryMs = 3_000;
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(this.lastId && { 'last-event-id': this.lastId }) };
      const request = httpRequest(`${this.origin}/api/guestbook/events`, { agent: false, headers }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return reject(new Error(`status ${response.statusCode}`));
        }
        let buffered = '';
        let id: string | undefined;
        let event: string | undefined;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const lines = (buffered + chunk).split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('retry: ')) {
              retryMs = Number(line.slice(7));
              this.openedAt ??= Date.now();
            }
            else if (line === '') {
              if (event === 'entry' && id) {
                this.received.add(id);
                this.lastId = id;
              }
              id = event = undefined;
            }
          }
        });
        response.on('end', () => resolve(retryMs));
        response.on('error', () => resolve(retryMs));
      });
      this.current = request;
      request.on('error', (error) => (this.stopped ? resolve(0) : reject(error)));
      request.end();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.destroy();
    await this.done;
  }
}

export class Traffic {
  private readonly tally: Tally = { requests: 0, answers: {}, failures: [], refusedWrites: 0, refusedReads: 0, acknowledged: [] };
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly streams: LiveStream[] = [];
  private sequence = 0;

  constructor(private readonly origin: string, private readonly options: TrafficOptions) {}

  /** Opens the streams, and once each is subscribed, starts the readers and writers. */
  async start(label: string): Promise<this> {
    for (let i = 0; i < this.options.streams; i++) this.streams.push(new LiveStream(this.origin, this.tally.failures));
    const deadline = Date.now() + 20_000;
    while (this.streams.some((stream) => stream.openedAt === undefined)) {
      if (Date.now() > deadline) throw new Error(`live streams not subscribed after 20 s: ${this.tally.failures.join('; ')}`);
      await sleep(100);
    }
    for (let i = 0; i < this.options.readers; i++) this.loops.push(this.reader(i));
    for (let i = 0; i < this.options.writers; i++) this.loops.push(this.writer(`${label} ${i}`));
    return this;
  }

  private note(kind: string): void {
    this.tally.requests++;
    this.tally.answers[kind] = (this.tally.answers[kind] ?? 0) + 1;
  }

  private async reader(index: number): Promise<void> {
    while (this.running) {
      const n = ++this.sequence;
      const path = n % 5 === 0 ? `/?fresh=${n}-${index}` : `/api/guestbook?limit=${1 + (n % 100)}&fresh=${n}-${index}`;
      try {
        const answer = await send(this.origin, path);
        await sleep(THINK_MS);
        this.note(`GET ${answer.status}`);
        if (answer.status === 503 && answer.headers['retry-after'] && this.options.readsMayWait) this.tally.refusedReads++;
        else if (answer.status !== 200) this.tally.failures.push(`GET ${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
      } catch (error) {
        this.note('GET error');
        this.tally.failures.push(`GET ${path}: ${(error as Error).message}`);
      }
    }
  }

  private async writer(label: string): Promise<void> {
    let count = 0;
    while (this.running) {
      const message = `${label} post ${++count} ${randomUuid().slice(0, 8)}`;
      try {
        const { answer, entry } = await sign(this.origin, 'cluster test', message);
        await sleep(THINK_MS);
        this.note(`POST ${answer.status}`);
        if (entry) this.tally.acknowledged.push(entry);
        else if (answer.status === 503 && answer.headers['retry-after'] && this.options.writesMayWait) {
          this.tally.refusedWrites++;
          await sleep(250);
        } else this.tally.failures.push(`POST: ${answer.status} ${answer.headers['retry-after'] ? `(Retry-After ${answer.headers['retry-after']}) ` : ''}${answer.body.slice(0, 200)}`);
      } catch (error) {
        this.note('POST error');
        this.tally.failures.push(`POST: ${(error as Error).message}`);
      }
    }
  }

  /** How many writes were acknowledged so far. */
  acknowledgedCount(): number {
    return this.tally.acknowledged.length;
  }

  /** Stops everything; the tally, and for every stream the acknowledged entries it never received. */
  async stop(): Promise<Tally & { missedByStreams: string[]; streamReconnects: number }> {
    this.running = false;
    await Promise.all(this.loops);
    // The last entries are on their way, and a stream that a stopping pod ended resumes from its
    // Last-Event-ID after its retry time: a bound for all of them to arrive.
    const deadline = Date.now() + 20_000;
    const complete = () => this.streams.every((stream) => this.tally.acknowledged.every((entry) => stream.received.has(entry.id)));
    while (!complete() && Date.now() < deadline) await sleep(200);
    const missedByStreams = this.streams.flatMap((stream, index) =>
      this.tally.acknowledged.filter((entry) => !stream.received.has(entry.id)).map((entry) => `stream ${index}: ${entry.id} ${entry.message}`),
    );
    const streamReconnects = this.streams.reduce((sum, stream) => sum + stream.reconnects, 0);
    await Promise.all(this.streams.map((stream) => stream.stop()));
    return { ...this.tally, missedByStreams, streamReconnects };
  }
}
