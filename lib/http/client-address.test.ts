import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientAddress, installPeerAddress } from './client-address';

const headers = (forwardedFor?: string) => new Headers(forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor });

describe('clientAddress', () => {
  it('takes the last hop when no proxy is trusted', () => {
    expect(clientAddress(headers('203.0.113.9, 127.0.0.1'), 0)).toBe('127.0.0.1');
  });
  it('skips the trusted proxies from the right', () => {
    expect(clientAddress(headers('198.51.100.1, 203.0.113.9, 10.0.0.2'), 1)).toBe('203.0.113.9');
    expect(clientAddress(headers('198.51.100.1, 203.0.113.9, 10.0.0.2'), 2)).toBe('198.51.100.1');
  });
  it('takes the furthest known hop when the chain is shorter than the trusted proxies', () => {
    expect(clientAddress(headers('10.0.0.2'), 3)).toBe('10.0.0.2');
  });
  it('says unknown when there is nothing to go by', () => {
    expect(clientAddress(headers(), 0)).toBe('unknown');
  });
});

describe('installPeerAddress', () => {
  it("appends the socket's peer to X-Forwarded-For, so a client cannot pose as another address", async () => {
    installPeerAddress();
    const server = http.createServer((request, response) => response.end(String(request.headers['x-forwarded-for'])));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const forged = await (await fetch(`http://127.0.0.1:${port}/`, { headers: { 'X-Forwarded-For': '203.0.113.9' } })).text();
      const plain = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(forged).toBe('203.0.113.9, 127.0.0.1');
      expect(plain).toBe('127.0.0.1');
      expect(clientAddress(headers(forged), 0)).toBe('127.0.0.1');
    } finally {
      server.close();
    }
  });
});
