import { EntryPageSchema, EntrySchema, type Entry, type EntryPage, type NewEntry } from './schema';

/**
 * The browser's side of the REST API: every outcome that the page must handle, as a value.
 */

export type PostResult =
  | { kind: 'created'; entry: Entry }
  | { kind: 'invalid'; errors: Record<string, string[]>; detail: string }
  | { kind: 'retryLater'; reason: 'rateLimited' | 'unavailable'; seconds: number }
  | { kind: 'network' };

const DEFAULT_RETRY_SECONDS = 5;

function retryAfterSeconds(response: Response): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : DEFAULT_RETRY_SECONDS;
}

export async function postEntry(input: NewEntry & Record<string, string>, idempotencyKey: string): Promise<PostResult> {
  let response: Response;
  try {
    response = await fetch('/api/guestbook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify(input),
    });
  } catch {
    return { kind: 'network' };
  }
  if (response.status === 201) return { kind: 'created', entry: EntrySchema.parse(await response.json()) };
  if (response.status === 429) return { kind: 'retryLater', reason: 'rateLimited', seconds: retryAfterSeconds(response) };
  if (response.status >= 500) return { kind: 'retryLater', reason: 'unavailable', seconds: retryAfterSeconds(response) };
  const problem = (await response.json().catch(() => ({}))) as { detail?: string; errors?: Record<string, string[]> };
  return { kind: 'invalid', errors: problem.errors ?? {}, detail: problem.detail ?? response.statusText };
}

export async function fetchOlder(cursor: string): Promise<EntryPage> {
  const response = await fetch(`/api/guestbook?cursor=${encodeURIComponent(cursor)}`, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /api/guestbook answered ${response.status}`);
  return EntryPageSchema.parse(await response.json());
}
