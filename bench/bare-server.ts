import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Redis from 'ioredis';

/**
 * The floor of the benchmark: the guestbook's list and append with nothing but node:http and ioredis,
 * on the same Redis master and replica as the app. No framework, no validation, no error mapping: no
 * Node frontend that does the same Redis work can answer faster.
 *
 *   GET  /healthz            a constant answer (the Node floor under the framework's do-nothing route)
 *   GET  /list[?after=<id>]  XREVRANGE … COUNT 21 on the replica: a page of 20, newest first
 *   POST /append             {"name","message"}: XADD on the master, 201 with the entry
 */

// lib/guestbook/store.ts is server-only and cannot be imported outside Next.js; this is its key.
export const STREAM_KEY = 'guestbook:entries';
const PAGE_SIZE = 20;

type StreamRecord = [id: string, fields: string[]];

// XADD writes the fields in this order, so their values sit at positions 1 and 3.
const toEntry = ([id, fields]: StreamRecord) => ({
  id,
  name: fields[1],
  message: fields[3],
  createdAt: new Date(Number.parseInt(id, 10)).toISOString(),
});

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), ...headers });
  response.end(json);
}

async function list(replica: Redis, after: string | null) {
  const records = (await replica.xrevrange(STREAM_KEY, after ? `(${after}` : '+', '-', 'COUNT', PAGE_SIZE + 1)) as StreamRecord[];
  const entries = records.slice(0, PAGE_SIZE).map(toEntry);
  return { entries, nextCursor: records.length > PAGE_SIZE ? entries[PAGE_SIZE - 1]!.id : null };
}

async function append(master: Redis, request: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const { name, message } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; message: string };
  const id = (await master.xadd(STREAM_KEY, '*', 'name', name, 'message', message))!;
  return toEntry([id, ['name', name, 'message', message]]);
}

export interface BareServer {
  server: Server;
  close(): Promise<void>;
}

export function createBareServer({ masterUrl, replicaUrl }: { masterUrl: string; replicaUrl: string }): BareServer {
  const master = new Redis(masterUrl);
  const replica = new Redis(replicaUrl);
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://bare');
    if (request.method === 'GET' && url.pathname === '/healthz') return send(response, 200, { status: 'ok' });
    if (request.method === 'GET' && url.pathname === '/list') return send(response, 200, await list(replica, url.searchParams.get('after')));
    if (request.method === 'POST' && url.pathname === '/append') {
      const entry = await append(master, request);
      return send(response, 201, entry, { Location: `/append/${entry.id}` });
    }
    send(response, 404, { status: 404 });
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { detail: String(error) }));
  });
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      master.disconnect();
      replica.disconnect();
    },
  };
}

// As a process (the benchmark starts two): PORT, REDIS_MASTER_URL and REDIS_REPLICA_URL from the environment.
if (require.main === module) {
  const { PORT, REDIS_MASTER_URL, REDIS_REPLICA_URL } = process.env;
  if (!PORT || !REDIS_MASTER_URL || !REDIS_REPLICA_URL) {
    console.error('bare-server needs PORT, REDIS_MASTER_URL and REDIS_REPLICA_URL');
    process.exit(2);
  }
  const { server } = createBareServer({ masterUrl: REDIS_MASTER_URL, replicaUrl: REDIS_REPLICA_URL });
  server.listen(Number(PORT), '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
