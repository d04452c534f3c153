import { get } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { withClient } from '../scripts/redis-server';
import { buildIfNeeded, STANDALONE } from '../scripts/stack';
import { ensureSystemPackages, REDIS } from '../scripts/system-packages';
import { STREAM_KEY } from './bare-server';
import { runLoad, type LoadRequest } from './load';
import { measureInTurns, perRequest } from './rounds';
import { startStack, stopAll, type Stack } from './servers';

/**
 * `npm run bench:page [-- <standalone build>...]`: what one render of the page costs. This worktree's
 * standalone server (as the image runs it), and each other build named (a copy of .next/standalone
 * after `npm run build`), runs as one process over a Redis master and replica holding 100 entries of
 * plausible text. After a warm-up, each build serves rounds of GET / and of the do-nothing healthz
 * route at 10 connections, the builds taking turns, round by round: on a machine that others keep
 * busy a process's CPU time per request moves by half from one minute to the next, so only builds
 * measured in the same turns compare. Prints server CPU µs per request (from /proc) and the page's
 * bytes as sent without Accept-Encoding and gzipped.
 *
 * PAGE_COST_ROUNDS and PAGE_COST_REQUESTS (per round) set the rounds; PAGE_COST_PROFILE=<dir> runs
 * the servers under `node --cpu-prof`, written to <dir> when they stop.
 */

const log = (line: string) => console.log(`[page-cost] ${line}`);

const ENTRIES = 100;
const CONNECTIONS = 10;
const WARMUP_SECONDS = 20;
const PATHS = ['/', '/api/healthz'] as const;

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// What visitors write: short and long, several scripts, emoji, line breaks, markup as text.
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

async function measure(stack: Stack, builds: string[]) {
  await seed(stack);
  log(`warming up for ${WARMUP_SECONDS} s…`);
  const origins = stack.app.map((server) => server.origin);
  await runLoad({ origins, pids: [] }, PATHS.map((p) => ({ path: p })), { seconds: WARMUP_SECONDS, warmupSeconds: 0, connections: CONNECTIONS * origins.length });
  const loads = Object.fromEntries(PATHS.map((p) => [p, [{ path: p }]])) as Record<(typeof PATHS)[number], LoadRequest[]>;
  const settings = { rounds: number('PAGE_COST_ROUNDS', 20), amount: number('PAGE_COST_REQUESTS', 200), connections: CONNECTIONS };
  const costs = await measureInTurns(stack.app, loads, settings, log);
  for (const [i, server] of stack.app.entries()) {
    const size = await pageSize(server.origin);
    const cost = costs.get(server)!;
    console.log(`
${builds[i] === STANDALONE ? 'this worktree' : builds[i]}
  GET /            server CPU ${perRequest(cost['/'])}
  GET /api/healthz server CPU ${perRequest(cost['/api/healthz'])}
  page: ${size.entries} entries, ${size.bytes} bytes without Accept-Encoding (${size.flightBytes} of them the RSC payload's scripts), ${size.gzipBytes} gzipped`);
  }
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  ensureSystemPackages([REDIS], log);
  buildIfNeeded();
  const builds = [STANDALONE, ...process.argv.slice(2).map((build) => path.resolve(build))];
  const profile = process.env.PAGE_COST_PROFILE;
  try {
    const stack = await startStack({ builds, bare: 0, nodeFlags: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] });
    await measure(stack, builds);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(`[page-cost] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
