import 'server-only';
import { z } from 'zod';
import { compareEntryIds } from '@/lib/guestbook/entry-id';
import { EntryIdSchema, type Entry } from '@/lib/guestbook/schema';
import { parseInput } from '@/lib/http/validate';
import { metrics } from '@/lib/metrics';
import type { LiveFeed, Subscription } from './feed';
import { readHistory } from './history';
import { onDrain } from '@/lib/shutdown';

/**
 * A subscriber's Server-Sent Events stream: first what it missed since its Last-Event-ID, then every
 * new entry, each once and in order, with heartbeats in between. A subscriber whose connection does
 * not keep up is dropped rather than buffered without end; its EventSource resumes by Last-Event-ID.
 */

export const EventsQuerySchema = z.object({
  lastEventId: EntryIdSchema.optional().meta({ description: 'Resume after this entry id (for clients that cannot send Last-Event-ID).' }),
});

export const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

export const LIVE_LIMITS = {
  /** Events queued for one subscriber before it counts as too far behind. */
  maxQueued: 256,
  /** Missed entries sent on one connection; a client that missed more gets the rest on its next one. */
  maxResume: 1_000,
  heartbeatMs: 15_000,
  retryMs: 3_000,
};

/** Where to resume: the Last-Event-ID header (sent by EventSource on reconnect), else the query. */
export function resumePoint(request: Request): string | undefined {
  const header = request.headers.get('last-event-id');
  const query = new URL(request.url).searchParams.get('lastEventId');
  return parseInput(EventsQuerySchema, { lastEventId: header || query || undefined }, 'invalid_query').lastEventId;
}

const encoder = new TextEncoder();
// The feed hands the same entry object to every subscriber: encode it once, not once per subscriber.
const encoded = new WeakMap<Entry, Uint8Array>();
function entryEvent(entry: Entry): Uint8Array {
  let bytes = encoded.get(entry);
  if (!bytes) encoded.set(entry, (bytes = encoder.encode(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`)));
  return bytes;
}

class Channel {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pending: Entry[] | null = [];
  private heartbeat?: ReturnType<typeof setInterval>;
  private subscription?: Subscription;
  private closed = false;
  private cancelDrain?: () => void;
  readonly stream = new ReadableStream<Uint8Array>({
    start: (controller) => void (this.controller = controller),
    cancel: () => this.close(),
  });

  constructor(private lastSent: string | undefined) {}

  async attach(feed: LiveFeed): Promise<string> {
    this.subscription = await feed.subscribe((entry) => this.receive(entry));
    return this.subscription.position;
  }

  /** Sends the history, then what arrived meanwhile, then everything as it comes. */
  start(history: Entry[], complete: boolean, signal: AbortSignal): void {
    this.write(encoder.encode(`retry: ${LIVE_LIMITS.retryMs}\n\n`));
    for (const entry of history) this.send(entry);
    const arrived = this.pending ?? [];
    this.pending = null;
    for (const entry of arrived) this.send(entry);
    // The rest of a long absence comes on the next connection, which resumes after the last sent.
    if (!complete || signal.aborted) return this.close();
    this.heartbeat = setInterval(() => this.write(encoder.encode(': heartbeat\n\n')), LIVE_LIMITS.heartbeatMs);
    metrics().liveStreams.inc();
    signal.addEventListener('abort', () => this.close(), { once: true });
    // A draining server ends its streams; browsers reconnect to another with Last-Event-ID.
    this.cancelDrain = onDrain(() => this.close());
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelDrain?.();
    this.subscription?.unsubscribe();
    // A stream is live (and counted) once it has its heartbeat.
    if (this.heartbeat) metrics().liveStreams.dec();
    clearInterval(this.heartbeat);
    try {
      if (error) this.controller.error(error);
      else this.controller.close();
    } catch {
      // Already closed by the client.
    }
  }

  private receive(entry: Entry): void {
    if (!this.pending) return this.send(entry);
    this.pending.push(entry);
    if (this.pending.length > LIVE_LIMITS.maxQueued) this.dropBehind();
  }

  private send(entry: Entry): void {
    if (this.lastSent && compareEntryIds(entry.id, this.lastSent) <= 0) return;
    this.lastSent = entry.id;
    this.write(entryEvent(entry));
  }

  private write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.controller.enqueue(chunk);
    // desiredSize falls below zero by one for each chunk that the connection has not taken yet.
    if ((this.controller.desiredSize ?? 0) < -LIVE_LIMITS.maxQueued) this.dropBehind();
  }

  private dropBehind(): void {
    if (this.closed) return;
    metrics().shed.inc({ reason: 'stream_behind' });
    this.close(new Error('subscriber too far behind'));
  }
}

/**
 * Subscribes first and reads the history after, so that an entry appended in between is in one of
 * the two; the channel drops whatever it has already sent. Fails (503) before any byte is sent.
 */
export async function openEventStream(feed: LiveFeed, after: string | undefined, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const channel = new Channel(after);
  try {
    const position = await channel.attach(feed);
    const missed = after !== undefined && compareEntryIds(after, position) < 0;
    const history = missed ? await readHistory(after, position, LIVE_LIMITS.maxResume) : [];
    const complete = history.length < LIVE_LIMITS.maxResume || history.at(-1)?.id === position;
    channel.start(history, complete, signal);
  } catch (error) {
    channel.close();
    throw error;
  }
  return channel.stream;
}
