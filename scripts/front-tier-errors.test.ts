import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemBody } from '../lib/http/problem-types';
import { errorAnswer, FRONT_TIER_ERRORS, HAPROXY_STATUSES, haproxyErrorFile, nginxErrorFile, writeErrorPages } from './front-tier-errors';

describe("the front tier's own answers", () => {
  it('are problem+json of the API\'s shape under /api/, with the status they are sent with', () => {
    for (const [status, error] of Object.entries(FRONT_TIER_ERRORS)) {
      const { body, headers } = errorAnswer(Number(status), 'api');
      expect(headers['Content-Type']).toBe('application/problem+json');
      expect(JSON.parse(body)).toEqual(problemBody(error.code, error.detail));
      expect(JSON.parse(body).status).toBe(Number(status));
    }
  });

  it('are a page in both languages elsewhere, and only a 503 asks to come back', () => {
    for (const status of Object.keys(FRONT_TIER_ERRORS).map(Number)) {
      const { body, headers } = errorAnswer(status, 'page');
      expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
      expect(body).toMatch(/<html lang="en">/);
      expect(body).toMatch(/<h1 lang="zh-CN">/);
      expect(headers['Retry-After']).toBe(status === 503 ? '1' : undefined);
    }
  });

  it('are written as nginx bodies and as whole HTTP responses for HAProxy, each with its true length', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'front-tier-errors-'));
    try {
      writeErrorPages(dir);
      expect(readFileSync(path.join(dir, nginxErrorFile(413, 'api')), 'utf8')).toBe(errorAnswer(413, 'api').body);
      for (const status of HAPROXY_STATUSES) {
        const response = readFileSync(path.join(dir, haproxyErrorFile(status, 'page')));
        const split = response.indexOf('\r\n\r\n');
        const head = response.subarray(0, split).toString();
        expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
        expect(Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1])).toBe(response.length - split - 4);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
