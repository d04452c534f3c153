import type { Logger } from 'pino';
import { logger } from '@/lib/log';

/**
 * The one error type of the application, and the one place that turns any error into a response.
 * What a client sees is decided here; anything unexpected is logged and answered without details.
 */

const PROBLEMS = {
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
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
export type FieldErrors = Record<string, string[]>;

interface ProblemOptions {
  errors?: FieldErrors;
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: ProblemOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = PROBLEMS[code].status;
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A stable, resolvable-by-name identifier for each kind of problem (RFC 9457 "type"). */
export const problemType = (code: ProblemCode) => `urn:guestbook:problem:${code.replaceAll('_', '-')}`;

export function problemResponse(error: unknown, log: Logger = logger): Response {
  const problem =
    error instanceof AppError
      ? error
      : new AppError('internal', 'The server could not complete the request.', { cause: error });
  if (problem.code === 'internal') log.error({ err: problem.cause }, 'unexpected error');
  else if (problem.status >= 500) log.warn({ err: problem.cause, code: problem.code }, problem.detail);

  const { errors, retryAfterSeconds, headers } = problem.options;
  const body = {
    type: problemType(problem.code),
    title: PROBLEMS[problem.code].title,
    status: problem.status,
    detail: problem.detail,
    ...(errors && { errors }),
  };
  return Response.json(body, {
    status: problem.status,
    headers: {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      ...(retryAfterSeconds !== undefined && { 'Retry-After': String(retryAfterSeconds) }),
      ...headers,
    },
  });
}
