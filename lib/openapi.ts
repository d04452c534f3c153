import { z } from 'zod';
import { LOCALES } from '@/i18n/locales';
import { EntryIdSchema, EntryPageSchema, EntrySchema, ListQuerySchema, NewEntrySchema } from './guestbook/schema';
import { problemType, type ProblemCode } from './http/problem';

/**
 * The OpenAPI 3.1 document of the REST API. Every schema in it is generated from the zod schemas
 * that the server validates with, so the document cannot drift from the code.
 */

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const PROBLEM_JSON = 'application/problem+json';

// OpenAPI 3.1 takes JSON Schema 2020-12 as it is, less the per-document $schema and $id keys.
function embedded({ $schema: _schema, $id: _id, ...schema }: z.core.JSONSchema.BaseSchema) {
  return schema;
}

function jsonSchemas(): Record<string, object> {
  const schemas = [NewEntrySchema, EntryIdSchema, EntrySchema, EntryPageSchema];
  const registry = z.registry<{ id: string }>();
  for (const schema of schemas) registry.add(schema, { id: z.globalRegistry.get(schema)!.id! });
  const { schemas: generated } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(generated).map(([id, schema]) => [id, embedded(schema)]));
}

const ProblemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'Messages by field, for invalid input.' },
  },
};

const problem = (description: string, ...codes: ProblemCode[]) => ({
  description: `${description} (${codes.map(problemType).join(', ')})`,
  content: { [PROBLEM_JSON]: { schema: ref('Problem') } },
});
const unavailable = problem('Storage unavailable; retry after Retry-After seconds', 'storage_unavailable');

const queryParameters = Object.entries(ListQuerySchema.shape).map(([name, schema]) => ({
  name,
  in: 'query',
  required: false,
  schema: embedded(z.toJSONSchema(schema, { io: 'input' })),
}));

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Guestbook API',
      version: '1.0.0',
      description: 'Sign and read the guestbook. Writes go to the Redis master, reads to a replica.',
    },
    paths: {
      '/api/guestbook': {
        get: {
          summary: 'A page of entries, newest first',
          operationId: 'listEntries',
          parameters: [
            ...queryParameters,
            { name: 'If-None-Match', in: 'header', schema: { type: 'string' }, description: 'The ETag of a page already held.' },
          ],
          responses: {
            '200': {
              description: 'A page, with a weak ETag',
              headers: { ETag: { schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('EntryPage') } },
            },
            '304': { description: 'The page is the one that If-None-Match names' },
            '400': problem('Invalid limit or cursor', 'invalid_query'),
            '503': unavailable,
          },
        },
        post: {
          summary: 'Sign the guestbook',
          operationId: 'createEntry',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
              description: 'Retries with the same key and body make one entry and get it again (24 hours).',
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('NewEntry') },
              'application/x-www-form-urlencoded': { schema: ref('NewEntry') },
            },
          },
          responses: {
            '201': {
              description: 'Created (JSON requests)',
              headers: { Location: { schema: { type: 'string' }, description: '/api/guestbook/{id}' } },
              content: { 'application/json': { schema: ref('Entry') } },
            },
            '303': { description: 'Form posts: back to the page, which shows the entry or the fields to fix' },
            '400': problem('Invalid input, with errors by field', 'invalid_input', 'invalid_body'),
            '403': problem('A browser post from another site', 'forbidden'),
            '413': problem('Body too large', 'payload_too_large'),
            '415': problem('Unsupported content type', 'unsupported_media_type'),
            '422': problem('The Idempotency-Key was used for another entry', 'idempotency_key_reused'),
            '429': problem('Too many posts from this client; see Retry-After and RateLimit', 'rate_limited'),
            '503': unavailable,
          },
        },
      },
      '/api/guestbook/{id}': {
        get: {
          summary: 'One entry',
          operationId: 'getEntry',
          parameters: [{ name: 'id', in: 'path', required: true, schema: ref('EntryId') }],
          responses: {
            '200': { description: 'The entry', content: { 'application/json': { schema: ref('Entry') } } },
            '404': problem('No such entry', 'not_found'),
            '503': unavailable,
          },
        },
        delete: {
          summary: 'Remove an entry (moderation)',
          operationId: 'deleteEntry',
          security: [{ moderator: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: ref('EntryId') }],
          responses: {
            '204': { description: 'Removed from every page' },
            '401': problem('Missing or wrong moderator token', 'unauthorized'),
            '404': problem('No such entry', 'not_found'),
            '405': problem('Moderation is off (no GUESTBOOK_ADMIN_TOKEN)', 'method_not_allowed'),
            '503': unavailable,
          },
        },
      },
      '/api/guestbook/events': {
        get: {
          summary: 'New entries as Server-Sent Events',
          description:
            'Each new entry is an `entry` event whose id is the entry id and whose data is the Entry as JSON; a comment every 15 s keeps proxies from closing the connection. With Last-Event-ID (or lastEventId) the stream first replays every entry after that id.',
          operationId: 'followEntries',
          parameters: [
            { name: 'Last-Event-ID', in: 'header', schema: ref('EntryId'), description: 'Resume after this entry (sent by EventSource on reconnect).' },
            { name: 'lastEventId', in: 'query', schema: ref('EntryId'), description: 'The same, for clients that cannot send headers.' },
          ],
          responses: {
            '200': { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            '400': problem('Malformed Last-Event-ID or lastEventId', 'invalid_query'),
            '503': unavailable,
          },
        },
      },
      '/api/metrics': {
        get: {
          summary: 'Prometheus metrics',
          operationId: 'metrics',
          responses: { '200': { description: 'The text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/api/openapi.json': {
        get: { summary: 'This document', operationId: 'openapi', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/api/healthz': { get: { summary: 'Liveness', operationId: 'healthz', responses: { '200': { description: 'The process answers' } } } },
      '/api/locale': {
        get: {
          summary: "The interface's language for this request (the NEXT_LOCALE cookie, else Accept-Language)",
          operationId: 'locale',
          responses: {
            '200': {
              description: 'The language, also in Content-Language; the same for the same cookie and header',
              content: { 'application/json': { schema: { type: 'object', required: ['locale'], properties: { locale: { type: 'string', enum: [...LOCALES] } } } } },
            },
          },
        },
      },
      '/api/readyz': {
        get: {
          summary: 'Readiness: entries can be read',
          operationId: 'readyz',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Neither master nor replica answers, or the process is shutting down' } },
        },
      },
    },
    components: {
      schemas: { ...jsonSchemas(), Problem: ProblemSchema } as Record<string, object>,
      securitySchemes: { moderator: { type: 'http', scheme: 'bearer', description: 'GUESTBOOK_ADMIN_TOKEN' } },
    },
  };
}
