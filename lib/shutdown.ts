import { httpServers } from './http/client-address';
import { logger } from './log';

/**
 * Graceful shutdown. On SIGTERM (Kubernetes, docker stop) or SIGINT the process drains: readyz
 * answers 503, the server stops accepting connections, live event streams end (browsers reconnect
 * elsewhere with Last-Event-ID), the requests in flight finish, the Redis connections close, and the
 * process exits 0. NEXT_MANUAL_SIG_HANDLE=true (Dockerfile, scripts/stack.ts) leaves the signals to
 * us; without it Next.js's own handler also runs and exits with 143 once its server has closed.
 */

const DRAIN_LIMIT_MS = 10_000;

interface State {
  draining: boolean;
  inFlight: number;
  drainHooks: Set<() => void>;
  installed: boolean;
}

const store = globalThis as typeof globalThis & { guestbookShutdown?: State };
const state = () => (store.guestbookShutdown ??= { draining: false, inFlight: 0, drainHooks: new Set(), installed: false });

export const isDraining = () => state().draining;

/** Counts a request as in flight; call the returned function when it is done. */
export function trackRequest(): () => void {
  const current = state();
  current.inFlight++;
  let done = false;
  return () => {
    if (!done) current.inFlight--;
    done = true;
  };
}

/** Runs `hook` when draining starts (now, if it has); returns a function that cancels it. */
export function onDrain(hook: () => void): () => void {
  const current = state();
  if (current.draining) {
    hook();
    return () => {};
  }
  current.drainHooks.add(hook);
  return () => current.drainHooks.delete(hook);
}

async function settled(): Promise<void> {
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  while (state().inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Starts draining; resolves once in-flight requests are done and `close` has run. */
export async function drain(close: () => Promise<void>): Promise<void> {
  const current = state();
  if (current.draining) return;
  current.draining = true;
  logger.info({ inFlight: current.inFlight }, 'draining');
  for (const hook of current.drainHooks) hook();
  current.drainHooks.clear();
  await settled();
  await close();
  logger.info('drained');
}

export function installShutdown(close: () => Promise<void>): void {
  const current = state();
  if (current.installed) return;
  current.installed = true;
  const shutdown = async () => {
    for (const server of httpServers()) server.close();
    await drain(close);
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown());
}
