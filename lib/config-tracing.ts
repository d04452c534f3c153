import { z } from 'zod';

/**
 * The OpenTelemetry variables that the guestbook honours, by their standard names
 * (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables). lib/config.ts checks
 * them with the rest at start: the SDK itself would log a wrong value and carry on with its default,
 * so an operator would learn of a typo only from traces that never arrive. The exporters and the
 * provider read the values themselves (lib/tracing/sdk.ts); what the app decides from them is here.
 */

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const PROPAGATORS = ['tracecontext', 'baggage', 'none'] as const;
const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;

export type TracingProtocol = (typeof PROTOCOLS)[number];
export type Propagator = Exclude<(typeof PROPAGATORS)[number], 'none'>;
export type TracingLogLevel = (typeof LOG_LEVELS)[number];

export type TracingConfig =
  | { enabled: false }
  | { enabled: true; protocol: TracingProtocol; propagators: Propagator[]; logLevel: TracingLogLevel };

const lowerCase = <T extends z.ZodType<unknown, string>>(schema: T) => z.string().transform((value) => value.trim().toLowerCase()).pipe(schema);

const otlpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://otel-collector.observability:4318' });

const protocol = z.enum(PROTOCOLS, {
  error: 'must be http/protobuf or http/json (OTLP over gRPC is not built in: point it at the collector\'s HTTP port, 4318)',
});

// W3C Baggage's shape, which the specification gives both variables: key=value,key=value.
const keyValueList = (example: string) =>
  z.string().refine((list) => list.split(',').every((item) => /^\s*[^=\s,]+\s*=.*$/.test(item)), `must be a list of key=value, e.g. ${example}`);

const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number');

const list = <T extends readonly [string, ...string[]]>(values: T, message: string) =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.enum(values, { error: message })).min(1, message));

/** Wrapped by lib/config.ts in its handling of '' as unset. */
export const tracingFields = {
  OTEL_SDK_DISABLED: lowerCase(z.enum(['true', 'false'], { error: 'must be "true" or "false"' })),
  OTEL_TRACES_EXPORTER: lowerCase(z.enum(['otlp', 'none'], { error: 'must be "otlp" or "none" (traces go out over OTLP/HTTP only)' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList('authorization=Bearer%20abc,x-team=guestbook'),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList('authorization=Bearer%20abc'),
  OTEL_EXPORTER_OTLP_TIMEOUT: wholeNumber,
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: wholeNumber,
  OTEL_EXPORTER_OTLP_COMPRESSION: lowerCase(z.enum(['gzip', 'none'], { error: 'must be "gzip" or "none"' })),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: lowerCase(z.enum(['gzip', 'none'], { error: 'must be "gzip" or "none"' })),
  OTEL_SERVICE_NAME: z.string(),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList('deployment.environment.name=production,service.namespace=shop'),
  OTEL_TRACES_SAMPLER: lowerCase(z.enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(', ')}` })),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^\s*(0(\.\d+)?|1(\.0+)?|\.\d+)\s*$/, 'must be a ratio from 0 to 1, e.g. 0.25')
    .transform(Number),
  OTEL_PROPAGATORS: list(PROPAGATORS, `must be a list of ${PROPAGATORS.join(', ')} (others are not built in)`),
  OTEL_BSP_SCHEDULE_DELAY: wholeNumber,
  OTEL_BSP_EXPORT_TIMEOUT: wholeNumber,
  OTEL_BSP_MAX_QUEUE_SIZE: wholeNumber,
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: wholeNumber,
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: wholeNumber,
  OTEL_ATTRIBUTE_COUNT_LIMIT: wholeNumber,
  OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: wholeNumber,
  OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: wholeNumber,
  OTEL_SPAN_EVENT_COUNT_LIMIT: wholeNumber,
  OTEL_SPAN_LINK_COUNT_LIMIT: wholeNumber,
  OTEL_LOG_LEVEL: lowerCase(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })),
};

type TracingEnv = { [K in keyof typeof tracingFields]?: z.output<(typeof tracingFields)[K]> };

/**
 * Off unless an exporter is asked for: an endpoint is set, or OTEL_TRACES_EXPORTER=otlp (which sends
 * to the specification's default, http://localhost:4318). OTEL_SDK_DISABLED=true and
 * OTEL_TRACES_EXPORTER=none turn it off whatever else is set.
 */
export function tracingConfig(env: TracingEnv): TracingConfig {
  const asked = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER === 'otlp');
  if (!asked || env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return { enabled: false };
  const propagators = env.OTEL_PROPAGATORS ?? ['tracecontext', 'baggage'];
  return {
    enabled: true,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    propagators: propagators.filter((name): name is Propagator => name !== 'none'),
    logLevel: env.OTEL_LOG_LEVEL ?? 'info',
  };
}
