import { createHash } from 'node:crypto';

/**
 * Conditional GET for JSON answers: a weak ETag derived from the body, and `304 Not Modified` when
 * the client already holds that body (RFC 9110 §13.1.2, weak comparison), so that a page polling for
 * news pays for the comparison only.
 */

export function weakETag(text: string): string {
  return `W/"${createHash('sha1').update(text, 'utf8').digest('base64url')}"`;
}

const opaqueTag = (tag: string) => tag.trim().replace(/^W\//, '');

export function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => opaqueTag(tag) === opaqueTag(etag));
}

/** A JSON response with its ETag, or an empty 304 when the request's If-None-Match names it; what caches may do comes from init. */
export function conditionalJson(request: Request, body: unknown, init: ResponseInit = {}): Response {
  const text = JSON.stringify(body);
  const etag = weakETag(text);
  const headers = new Headers(init.headers);
  headers.set('ETag', etag);
  if (matchesIfNoneMatch(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  headers.set('Content-Type', 'application/json');
  return new Response(text, { ...init, headers });
}
