import { trace } from '@opentelemetry/api';
import pino from 'pino';

/**
 * The ids of the span that is current where a line is written, under the names that OpenTelemetry
 * gives them in logs, so that every line of a traced request leads to its trace. Without tracing no
 * span is ever current, and a line carries none.
 */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: traceFlags.toString(16).padStart(2, '0') };
}

/** Structured JSON logs on stdout, where a container runtime collects them. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'guestbook' },
  mixin: traceIds,
});
