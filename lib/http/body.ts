import { AppError } from './problem';

/**
 * Reads a request body without ever holding more than the limit in memory: a declared length over
 * the limit is refused before reading, and a stream that runs past it is cancelled mid-way.
 */

export const MAX_BODY_BYTES = 16 * 1024;

export type BodyKind = 'json' | 'form';
export interface ParsedBody {
  kind: BodyKind;
  value: unknown;
}

const tooLarge = () => new AppError('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);

/** What the request's Content-Type says the body is; throws the 415 for anything else. */
export function bodyKind(request: Request): BodyKind {
  const contentType = request.headers.get('content-type');
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  throw new AppError(
    'unsupported_media_type',
    'Send application/json, or application/x-www-form-urlencoded from an HTML form.',
    { headers: { 'Accept-Post': 'application/json, application/x-www-form-urlencoded' } },
  );
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError('invalid_body', 'The body is not valid UTF-8 text.');
  }
}

function parse(kind: BodyKind, text: string): unknown {
  if (kind === 'form') return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('invalid_body', 'The body is not valid JSON.');
  }
}

export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<ParsedBody> {
  const kind = bodyKind(request);
  const text = decode(await readLimited(request, limit));
  return { kind, value: parse(kind, text) };
}
