import { context, createContextKey, type Span } from '@opentelemetry/api';
import type Redis from 'ioredis';
import type { Role } from '../redis';

/**
 * Which of the two clients (lib/redis.ts) sent a Redis command, for the span that the ioredis
 * instrumentation makes of it. The instrumentation's hook sees the command but not the client, so
 * each client marks its commands in the context that the hook runs in. The key is a global symbol,
 * the same in every bundle that holds a copy of this module.
 */
const ROLE = createContextKey('guestbook.redis.role');

export const ROLE_ATTRIBUTE = 'guestbook.redis.role';

/** Marks every command that `client` sends as served by `role`. Only while tracing is on. */
export function markRole(client: Redis, role: Role): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args) => context.with(context.active().setValue(ROLE, role), () => send(...args));
}

/** The instrumentation's request hook: the role of the client that sends the command. */
export function addRole(span: Span): void {
  const role = context.active().getValue(ROLE);
  if (typeof role === 'string') span.setAttribute(ROLE_ATTRIBUTE, role);
}
