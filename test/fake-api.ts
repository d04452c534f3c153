import { vi } from 'vitest';

/**
 * The API as the browser sees it, answered by the test: each request waits until the test
 * responds, so that pending states can be observed.
 */
export interface PendingRequest {
  url: string;
  init: RequestInit;
  respond(status: number, body?: unknown, headers?: Record<string, string>): void;
  fail(): void;
}

export function fakeApi() {
  const requests: PendingRequest[] = [];
  const fetch = vi.fn((url: string, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      requests.push({
        url,
        init,
        respond: (status, body, headers = {}) =>
          resolve(new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })),
        fail: () => reject(new TypeError('Failed to fetch')),
      });
    }),
  );
  vi.stubGlobal('fetch', fetch);
  return { fetch, requests };
}
