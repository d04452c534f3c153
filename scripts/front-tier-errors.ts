import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemBody, type ProblemCode } from '../lib/http/problem-types';

/**
 * The answers that the front tier gives by itself, nginx and the admission queue (HAProxy) alike:
 * under /api/ a problem+json of the same shape and catalogue as the app's (lib/http/problem-types.ts),
 * elsewhere a small page in both of the interface's languages. Written once into a folder, as nginx's
 * error pages and HAProxy's error files.
 */

export type ErrorKind = 'api' | 'page';

interface FrontTierError {
  code: ProblemCode;
  /** What happened, for a client of the API and for the English page. */
  detail: string;
  /** The same for the Chinese page. */
  zh: { title: string; detail: string };
  retryAfterSeconds?: number;
}

/** Every status that nginx or HAProxy may answer with by itself, as configured in front-tier/. */
export const FRONT_TIER_ERRORS: Record<number, FrontTierError> = {
  400: { code: 'bad_request', detail: 'The request could not be read.', zh: { title: '请求无效', detail: '无法读取该请求。' } },
  404: { code: 'not_found', detail: 'There is nothing at this address.', zh: { title: '未找到', detail: '此地址没有内容。' } },
  405: { code: 'method_not_allowed', detail: 'This address does not take that method.', zh: { title: '方法不允许', detail: '此地址不接受该请求方法。' } },
  408: { code: 'request_timeout', detail: 'The request took too long to arrive.', zh: { title: '请求超时', detail: '请求到达的时间太长。' } },
  413: { code: 'payload_too_large', detail: 'A request body may be at most 16 KiB.', zh: { title: '内容过大', detail: '请求内容最多 16 KiB。' } },
  414: { code: 'uri_too_long', detail: 'An address may be at most 8 KiB long.', zh: { title: '地址过长', detail: '地址最长 8 KiB。' } },
  431: { code: 'header_too_large', detail: 'A request header may be at most 8 KiB long.', zh: { title: '请求头过大', detail: '每个请求头最长 8 KiB。' } },
  500: { code: 'internal', detail: 'The front tier could not complete the request.', zh: { title: '内部错误', detail: '无法完成该请求。' } },
  502: { code: 'bad_gateway', detail: 'The guestbook gave an answer that could not be read.', zh: { title: '网关错误', detail: '留言簿的回应无法读取。' } },
  503: {
    code: 'overloaded',
    detail: 'The guestbook is busy right now; try again in a second.',
    zh: { title: '服务繁忙', detail: '留言簿现在很忙，请一秒后再试。' },
    retryAfterSeconds: 1,
  },
  504: { code: 'gateway_timeout', detail: 'The guestbook did not answer in time.', zh: { title: '网关超时', detail: '留言簿没有及时回应。' } },
};

/** The statuses that HAProxy itself can answer with (its `errorfile` list). */
const HAPROXY_STATUSES = [400, 408, 500, 502, 503, 504];

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);

function pageBody(status: number, error: FrontTierError): string {
  const { title } = PROBLEMS[error.code];
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} ${escapeHtml(title)} · Guestbook</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(error.detail)}</p>
<h1 lang="zh-CN">${escapeHtml(error.zh.title)}</h1>
<p lang="zh-CN">${escapeHtml(error.zh.detail)}</p>
<p><a href="/">Guestbook · <span lang="zh-CN">留言簿</span></a></p>
</main>
</body>
</html>
`;
}

/** The body and its headers, for one status and kind. */
export function errorAnswer(status: number, kind: ErrorKind): { body: string; headers: Record<string, string> } {
  const error = FRONT_TIER_ERRORS[status];
  if (!error) throw new Error(`the front tier has no answer for ${status}`);
  const body = kind === 'api' ? `${JSON.stringify(problemBody(error.code, error.detail))}\n` : pageBody(status, error);
  const headers: Record<string, string> = {
    'Content-Type': kind === 'api' ? PROBLEM_CONTENT_TYPE : 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    ...(error.retryAfterSeconds !== undefined && { 'Retry-After': String(error.retryAfterSeconds) }),
  };
  return { body, headers };
}

/** A whole HTTP response, as HAProxy's `errorfile` wants it. */
function httpResponse(status: number, kind: ErrorKind): string {
  const { body, headers } = errorAnswer(status, kind);
  const lines = [`HTTP/1.1 ${status} ${PROBLEMS[FRONT_TIER_ERRORS[status]!.code].title}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export const nginxErrorFile = (status: number, kind: ErrorKind) => `${status}.${kind}`;
export const haproxyErrorFile = (status: number, kind: ErrorKind) => path.join('haproxy', `${kind}-${status}.http`);
export const NGINX_ERROR_STATUSES = Object.keys(FRONT_TIER_ERRORS).map(Number);
export { HAPROXY_STATUSES };

/** Writes every answer into dir: nginx's bodies (`<status>.<kind>`) and HAProxy's responses (`haproxy/`). */
export function writeErrorPages(dir: string): void {
  mkdirSync(path.join(dir, 'haproxy'), { recursive: true });
  for (const kind of ['api', 'page'] as const) {
    for (const status of NGINX_ERROR_STATUSES) writeFileSync(path.join(dir, nginxErrorFile(status, kind)), errorAnswer(status, kind).body);
    for (const status of HAPROXY_STATUSES) writeFileSync(path.join(dir, haproxyErrorFile(status, kind)), httpResponse(status, kind));
  }
}
