/**
 * Every kind of problem that a client of the API may be answered with, the app's and the front
 * tier's alike: one catalogue, so that a 503 from the admission queue and one from the app have the
 * same shape and a type of the same family. No dependencies: the front tier's renderer
 * (scripts/front-tier-errors.ts) reads it at build time, outside the app.
 */

export const PROBLEMS = {
  invalid_input: { status: 400, title: 'Invalid input' },
  invalid_query: { status: 400, title: 'Invalid query' },
  invalid_body: { status: 400, title: 'Malformed body' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused' },
  rate_limited: { status: 429, title: 'Too many requests' },
  storage_unavailable: { status: 503, title: 'Storage unavailable' },
  internal: { status: 500, title: 'Internal error' },
  // Answered by the front tier itself (nginx or the admission queue), never by the app.
  bad_request: { status: 400, title: 'Bad request' },
  request_timeout: { status: 408, title: 'Request timeout' },
  uri_too_long: { status: 414, title: 'URI too long' },
  header_too_large: { status: 431, title: 'Request header fields too large' },
  bad_gateway: { status: 502, title: 'Bad gateway' },
  overloaded: { status: 503, title: 'Service unavailable' },
  gateway_timeout: { status: 504, title: 'Gateway timeout' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
export type FieldErrors = Record<string, string[]>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A stable, resolvable-by-name identifier for each kind of problem (RFC 9457 "type"). */
export const problemType = (code: ProblemCode) => `urn:guestbook:problem:${code.replaceAll('_', '-')}`;

/** The RFC 9457 members of a problem, as every answer of the API carries them. */
export function problemBody(code: ProblemCode, detail: string, errors?: FieldErrors) {
  return { type: problemType(code), title: PROBLEMS[code].title, status: PROBLEMS[code].status, detail, ...(errors && { errors }) };
}
