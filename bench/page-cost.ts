import { get } from 'node:http';
import { gzipSync } from 'node:zlib';
import { withClient } from '../scripts/redis-server';
import { buildIfNeeded } from '../scripts/stack';
import { ensureSystemPackages, REDIS } from '../scripts/system-packages';
import { STREAM_KEY } from './bare-server';
import { percentile, runLoad } from './load';
import { startStack, stopAll, type Stack } from './servers';

/**
 * `npm run bench:page`: what one render of the page costs. One app process (the standalone server,
 * as the image runs it) over a Redis master and replica holding 100 entries of plausible text, warmed
 * up, then loaded at 10 connections in rounds: server CPU µs per request of the page and of the
 * do-nothing route beside it (what Next.js costs anyway), and the page's bytes as sent without
 * Accept-Encoding and gzipped. PAGE_COST_ROUNDS and PAGE_COST_SECONDS set the rounds;
 * PAGE_COST_PROFILE=<dir> runs the server under `node --cpu-prof`, written to <dir> when it stops.
 */

const log = (line: string) => console.log(`[page-cost] ${line}`);

const ENTRIES = 100;
const CONNECTIONS = 10;
const WARMUP_SECONDS = 20;

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// What visitors write: short and long, several scripts, emoji, line breaks.
const NAMES = ['Ada', '王小明', 'Grace Hopper', 'مريم', '👩‍💻 dev', 'Linus', '李雷', 'Zoë', 'דוד', 'Ken Thompson'];
const MESSAGES = [
  'Hello from Berlin! 👋',
  '你好，世界！欢迎来到留言簿。这是一个很长的留言，用来测试中文的换行和排版是否正确。',
  'Lovely little guestbook.\nSecond line here.\nAnd a third.',
  'مرحبا بالعالم! هذا سجل الزوار',
  `${'A long message that goes on and on, as some visitors like to write. '.repeat(7)}The end.`,
  'Flags 🇨🇳🇫🇷, skin tones 👋🏽 ❤️, a family 👩‍👩‍👧‍👦',
  '<b>not bold</b> & "quoted" text',
  'Short.',
  '这个留言簿是用 Next.js 和 Redis 重新做的吗？太棒了 🎉',
  'Greetings from the classic guestbook fans. Kubernetes forever!',
];

async function seed(stack: Stack): Promise<void> {
  await withClient(stack.redis.masterUrl, async (master) => {
    const pipeline = master.pipeline();
    for (let i = 0; i < ENTRIES; i++) pipeline.xadd(STREAM_KEY, '*', 'name', NAMES[i % NAMES.length]!, 'message', `${MESSAGES[(i * 3) % MESSAGES.length]} #${i}`);
    await pipeline.exec();
  });
}

/** The page's body exactly as sent to a client that asks for no compression. */
function fetchPlain(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: ${response.statusCode}`))));
    }).on('error', reject);
  });
}

async function pageSize(origin: string) {
  const html = await fetchPlain(`${origin}/`);
  const text = html.toString('utf8');
  const flight = [...text.matchAll(/<script[^>]*>self\.__next_f\.push\(.*?<\/script>/gs)].reduce((sum, [script]) => sum + Buffer.byteLength(script), 0);
  const entries = text.match(/<li[^>]* id="entry-/g)?.length ?? 0;
  return { bytes: html.length, gzipBytes: gzipSync(html).length, flightBytes: flight, entries };
}

async function cpuRounds(stack: Stack, path: string, rounds: number, seconds: number): Promise<number[]> {
  const target = { origins: [stack.app[0]!.origin], pids: [stack.app[0]!.pid] };
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const load = await runLoad(target, [{ path }], { seconds, warmupSeconds: 0, connections: CONNECTIONS });
    if (load.non2xx + load.errors > 0) throw new Error(`${path}: ${load.non2xx} non-2xx and ${load.errors} errors`);
    log(`${path} round ${round + 1}: ${load.requests} requests, ${load.serverCpuUs.toFixed(0)} µs CPU each`);
    results.push(load.serverCpuUs);
  }
  return results;
}

async function measure(stack: Stack) {
  const rounds = number('PAGE_COST_ROUNDS', 3);
  const seconds = number('PAGE_COST_SECONDS', 10);
  await seed(stack);
  log(`warming up for ${WARMUP_SECONDS} s…`);
  await runLoad({ origins: [stack.app[0]!.origin], pids: [] }, [{ path: '/' }, { path: '/api/healthz' }], { seconds: WARMUP_SECONDS, warmupSeconds: 0, connections: CONNECTIONS });
  const size = await pageSize(stack.app[0]!.origin);
  const page = await cpuRounds(stack, '/', rounds, seconds);
  const healthz = await cpuRounds(stack, '/api/healthz', rounds, seconds);
  const summary = (values: number[]) => `median ${percentile(values, 50).toFixed(0)} (${values.map((value) => value.toFixed(0)).join(', ')})`;
  console.log(`
GET /            server CPU µs/req: ${summary(page)}
GET /api/healthz server CPU µs/req: ${summary(healthz)}
page: ${size.entries} entries, ${size.bytes} bytes as sent without Accept-Encoding (${size.flightBytes} of them the RSC payload's scripts), ${size.gzipBytes} gzipped`);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  ensureSystemPackages([REDIS], log);
  buildIfNeeded();
  const profile = process.env.PAGE_COST_PROFILE;
  try {
    const stack = await startStack({ app: 1, bare: 0 }, profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []);
    await measure(stack);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(`[page-cost] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
