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

/**
 * The handler for the methods a route does not serve: a problem+json 405 with the Allow header,
 * where Next.js alone would answer an empty 405. A route exports it under each such method.
 */
export function methodNotAllowed(allowed: string[]) {
  const allow = [...allowed, 'HEAD', 'OPTIONS'].join(', ');
  return route((request) => {
    throw new AppError('method_not_allowed', `${request.method} is not supported here; use ${allowed.join(' or ')}.`, {
      headers: { Allow: allow },
    });
  });
}
