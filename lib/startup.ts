import { materializeAbortReasonStacks } from './abort-reason-stacks';
import { ConfigError, getConfig, type Config } from './config';
import { installPeerAddress } from './http/client-address';
import { installShutdown } from './shutdown';

/**
 * Start-up of a server process: finished renders are kept from piling up in the heap before the first
 * render (lib/abort-reason-stacks.ts); the configuration is checked before the first request, so a
 * wrong value stops the process with a message that names the variable; tracing starts if it is asked
 * for; the client address of every request is made trustworthy (lib/http/client-address.ts); then both
 * Redis clients connect, so the first request does not pay for the handshakes, and the replica's
 * health is watched from the start, so that its metrics (trusted, lag) are live before the first read.
 */
export async function startServer(): Promise<void> {
  materializeAbortReasonStacks();
  const config = checkedConfig();
  // Before anything loads ioredis (lib/redis.ts does): its instrumentation patches it as it loads.
  // Imported only when on, so that a process without tracing never loads the SDK.
  const stopTracing = config.tracing.enabled ? (await import('./tracing/sdk')).startTracing(config.tracing) : undefined;
  const { closeRedis, redisClient, replicaMonitor } = await import('./redis');
  installPeerAddress();
  // The last spans, those of the requests that the drain waited for, are sent before the exit.
  installShutdown(async () => {
    await closeRedis();
    await stopTracing?.();
  });
  redisClient('master');
  redisClient('replica');
  replicaMonitor().start();
}

function checkedConfig(): Config {
  try {
    return getConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Plain text on stderr: this is read by a person fixing a deployment, not by a log pipeline.
    console.error(error.message);
    process.exit(1);
  }
}
