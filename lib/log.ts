import pino from 'pino';

/** Structured JSON logs on stdout, where a container runtime collects them. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'guestbook' },
});
