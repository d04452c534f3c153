import { AppError } from './problem';

// The header is a structured-field string: quoted, or sent bare by simpler clients; visible ASCII.
const KEY = /^"?([\x21\x23-\x7e]{1,255})"?$/;

/** The request's Idempotency-Key, if it sent one; a malformed one is a 400, never ignored. */
export function readIdempotencyKey(request: Request): string | undefined {
  const header = request.headers.get('idempotency-key');
  if (header === null) return undefined;
  const key = header.trim().match(KEY)?.[1];
  if (!key) {
    const message = 'Idempotency-Key must be 1–255 visible ASCII characters, e.g. a UUID';
    throw new AppError('invalid_input', message, { errors: { 'Idempotency-Key': [message] } });
  }
  return key;
}
