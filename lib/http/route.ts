import { randomUUID } from 'node:crypto';
import { logger } from '@/lib/log';
import { metrics, routeLabel } from '@/lib/metrics';
import { trackRequest } from '@/lib/shutdown';
import { AppError, problemResponse } from './problem';

// A caller's own request id is kept when it is a plain token, so that its logs and ours line up.
const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * Wraps a route handler: every error, expected or not, leaves through problemResponse; every request
 * gets a request id (X-Request-Id), one JSON log line, a metric, and counts as in flight until done.
 */
export function route<Context>(handler: (request: Request, context: Context) => Promise<Response> | Response) {
  return async (request: Request, context: Context): Promise<Response> => {
    const started = performance.now();
    const given = request.headers.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const log = logger.child({ requestId });
    const done = trackRequest();
    let response: Response;
    try {
      response = await handler(request, context);
    } catch (error) {
      response = problemResponse(error, log);
    } finally {
      done();
    }
    const seconds = (performance.now() - started) / 1000;
    const path = routeLabel(new URL(request.url).pathname);
    metrics().requests.observe({ route: path, method: request.method, status: response.status }, seconds);
    log.info({ method: request.method, route: path, status: response.status, ms: Math.round(seconds * 1000) }, 'request');
    response.headers.set('X-Request-Id', requestId);
    return response;
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
