import type { Entry } from '@/lib/guestbook/schema';

/** Reads a Server-Sent Events body as a browser would: events split by blank lines, fields by name. */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
}

export class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  readonly events: ServerSentEvent[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** The entries of the `entry` events received so far. */
  entries(): Entry[] {
    return this.events.filter((event) => event.event === 'entry').map((event) => JSON.parse(event.data!) as Entry);
  }

  /** Reads until `count` entries have arrived, failing after `timeoutMs` (a bound, not a measure). */
  async untilEntries(count: number, timeoutMs = 10_000): Promise<Entry[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.entries().length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} entries, got ${this.entries().length}`);
      if (!(await this.readChunk(left))) break;
    }
    return this.entries();
  }

  /** Reads until the server ends the stream; false when it is still open after `timeoutMs`. */
  async untilClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        if (!(await this.readChunk(left))) return true;
      } catch (error) {
        if (error instanceof Error && error.message === 'timeout') return false;
        return true;
      }
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }

  private async readChunk(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)));
    try {
      const { done, value } = await Promise.race([this.reader.read(), timeout]);
      if (done) return false;
      this.parse(this.decoder.decode(value, { stream: true }));
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  private parse(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: ServerSentEvent = {};
      for (const line of block.split('\n')) {
        const match = /^(id|event|data|retry): (.*)$/.exec(line);
        if (match) event[match[1] as keyof ServerSentEvent] = match[2];
      }
      if (Object.keys(event).length > 0) this.events.push(event);
    }
  }
}
