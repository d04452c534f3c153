import http from 'node:http';

/**
 * The client's address, for rate limits. Next.js gives route handlers no socket, and it copies the
 * peer's address into X-Forwarded-For only when the header is absent — so a client could name any
 * address it likes. installPeerAddress makes the socket's peer the last hop of that header on every
 * request, as a proxy would; TRUST_PROXY then says how many hops from the right are our own proxies.
 * See docs/decisions/006-client-address.md.
 */

const HEADER = 'x-forwarded-for';
const marker = Symbol.for('guestbook.peerAddress');

function appendPeer(request: http.IncomingMessage): void {
  const peer = request.socket.remoteAddress;
  if (!peer) return;
  const existing = request.headers[HEADER];
  request.headers[HEADER] = existing ? `${[existing].flat().join(', ')}, ${peer}` : peer;
}

// The servers that have answered requests, for the graceful shutdown (lib/shutdown.ts) to close.
const servers = new Set<http.Server>();
export const httpServers = (): ReadonlySet<http.Server> => servers;

export function installPeerAddress(): void {
  const prototype = http.Server.prototype as http.Server & { [marker]?: true };
  if (prototype[marker]) return;
  prototype[marker] = true;
  const emit = prototype.emit;
  prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      servers.add(this);
      appendPeer(args[0] as http.IncomingMessage);
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof emit;
}

/** The address `trustedHops` hops left of the last one; the furthest known when the chain is shorter. */
export function clientAddress(headers: Headers, trustedHops: number): string {
  const hops = (headers.get(HEADER) ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
  return hops[Math.max(0, hops.length - 1 - trustedHops)] ?? 'unknown';
}
