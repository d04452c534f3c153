import { materializeAbortReasonStacks } from './abort-reason-stacks';
import { ConfigError, getConfig } from './config';
import { installPeerAddress } from './http/client-address';
import { closeRedis, redisClient, replicaMonitor } from './redis';
import { installShutdown } from './shutdown';

/**
 * Start-up of a server process: finished renders are kept from piling up in the heap before the first
 * render (lib/abort-reason-stacks.ts); the configuration is checked before the first request, so a
 * wrong value stops the process with a message that names the variable; the client address of every
 * request is made trustworthy (lib/http/client-address.ts); then both Redis clients connect, so the
 * first request does not pay for the handshakes, and the replica's health is watched from the start,
 * so that its metrics (trusted, lag) are live before the first read.
 */
export function startServer(): void {
  materializeAbortReasonStacks();
  try {
    getConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Plain text on stderr: this is read by a person fixing a deployment, not by a log pipeline.
    console.error(error.message);
    process.exit(1);
  }
  installPeerAddress();
  installShutdown(closeRedis);
  redisClient('master');
  redisClient('replica');
  replicaMonitor().start();
}
