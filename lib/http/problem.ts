import type { Logger } from 'pino';
import { logger } from '@/lib/log';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemBody, type FieldErrors, type ProblemCode } from './problem-types';

export { PROBLEM_CONTENT_TYPE, problemType, type FieldErrors, type ProblemCode } from './problem-types';

/**
 * The one error type of the application, and the one place that turns any error into a response.
 * What a client sees is decided here; anything unexpected is logged and answered without details.
 */

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

export function problemResponse(error: unknown, log: Logger = logger): Response {
  const problem =
    error instanceof AppError
      ? error
      : new AppError('internal', 'The server could not complete the request.', { cause: error });
  if (problem.code === 'internal') log.error({ err: problem.cause }, 'unexpected error');
  else if (problem.status >= 500) log.warn({ err: problem.cause, code: problem.code }, problem.detail);

  const { errors, retryAfterSeconds, headers } = problem.options;
  return Response.json(problemBody(problem.code, problem.detail, errors), {
    status: problem.status,
    headers: {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      ...(retryAfterSeconds !== undefined && { 'Retry-After': String(retryAfterSeconds) }),
      ...headers,
    },
  });
}
