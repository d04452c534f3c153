import { diag, type DiagLogger, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { defaultResource, detectResources, envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config-tracing';
import { logger } from '../log';
import { addRole } from './redis-role';

/**
 * OpenTelemetry traces, started by lib/startup.ts only when lib/config says so: nothing here is
 * loaded otherwise. Next.js makes the spans of each request and render itself once a tracer provider
 * is registered, and takes the incoming `traceparent` through the global propagator; the ioredis
 * instrumentation makes a span of each Redis command. The exporters, the batch processor and the
 * sampler read their OTEL_* variables themselves (checked at start by lib/config-tracing.ts).
 */

type Enabled = Extract<TracingConfig, { enabled: true }>;

const PROPAGATORS = { tracecontext: () => new W3CTraceContextPropagator(), baggage: () => new W3CBaggagePropagator() };

function propagator(names: Enabled['propagators']): TextMapPropagator | null {
  if (names.length === 0) return null;
  return new CompositePropagator({ propagators: names.map((name) => PROPAGATORS[name]()) });
}

// The SDK's own complaints (a collector that does not answer, a dropped batch) as JSON log lines.
const otelLog = logger.child({ component: 'opentelemetry' });
const diagLogger: DiagLogger = {
  error: (message, ...args) => otelLog.error({ args }, message),
  warn: (message, ...args) => otelLog.warn({ args }, message),
  info: (message, ...args) => otelLog.info({ args }, message),
  debug: (message, ...args) => otelLog.debug({ args }, message),
  verbose: (message, ...args) => otelLog.trace({ args }, message),
};

// No argument leaves the process: keys hold a client's address (rate limits) or an idempotency key,
// values a visitor's text. The instrumentation's default keeps every argument of EVALSHA and GET.
const withoutArguments = (command: string, args: unknown[]) => (args.length > 0 ? `${command} [${args.length} arguments]` : command);

/** Registers the tracer provider and the ioredis instrumentation; returns what flushes and stops them. */
export function startTracing(config: Enabled): () => Promise<void> {
  diag.setLogger(diagLogger, { logLevel: diagLogLevelFromString(config.logLevel) });
  const exporter = config.protocol === 'http/json' ? new JsonExporter() : new ProtobufExporter();
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the name given here.
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': 'guestbook' }))
      .merge(detectResources({ detectors: [hostDetector, envDetector] })),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register({ propagator: propagator(config.propagators) });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new IORedisInstrumentation({ requestHook: addRole, dbStatementSerializer: withoutArguments })],
  });
  logger.info({ protocol: config.protocol }, 'tracing on');
  return async () => {
    unregister();
    await provider.shutdown();
  };
}
