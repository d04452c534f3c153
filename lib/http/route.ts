import { AppError, problemResponse } from './problem';

/**
 * Wraps a route handler so that every error, expected or not, leaves through problemResponse.
 */
export function route<Context>(handler: (request: Request, context: Context) => Promise<Response> | Response) {
  return async (request: Request, context: Context): Promise<Response> => {
    try {
      return await handler(request, context);
    } catch (error) {
      return problemResponse(error);
    }
  };
}

/** The 405 for a method that a route does not serve (now), with the Allow header. */
export function methodNotAllowedError(allowed: string[], detail: string): AppError {
  return new AppError('method_not_allowed', detail, { headers: { Allow: [...allowed, 'HEAD', 'OPTIONS'].join(', ') } });
}

/**
 * The handler for the methods a route does not serve: a problem+json 405 with the Allow header,
 * where Next.js alone would answer an empty 405. A route exports it under each such method.
 */
export function methodNotAllowed(allowed: string[]) {
  return route((request) => {
    throw methodNotAllowedError(allowed, `${request.method} is not supported here; use ${allowed.join(' or ')}.`);
  });
}
