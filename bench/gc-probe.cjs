// Loaded with `node --expose-gc --require` into the server that bench/memory.ts measures: on request it
// collects garbage and answers with the heap that survived, so retention is read after a full GC and
// not from a heap that merely has not been collected yet. It listens on loopback only.
const http = require('node:http');

const port = Number(process.env.GC_PROBE_PORT);
if (!port || typeof globalThis.gc !== 'function') throw new Error('gc-probe needs GC_PROBE_PORT and --expose-gc');

http
  .createServer((_request, response) => {
    globalThis.gc();
    globalThis.gc();
    const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ heapUsed, external, arrayBuffers, rss }));
  })
  .listen(port, '127.0.0.1')
  .unref();
