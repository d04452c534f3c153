import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from './guestbook/schema';
import { openApiDocument } from './openapi';

const document = openApiDocument();
const root = path.resolve(import.meta.dirname, '..');

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with JSON Schema 2020-12 components', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const schema of Object.values(document.components.schemas)) expect(schema).not.toHaveProperty('$schema');
  });

  it('describes a route handler for every path, and a path for every route handler', () => {
    const handlers = readdirSync(path.join(root, 'app', 'api'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('route.ts'))
      .map((file) => `/api/${path.dirname(file).replace('[id]', '{id}')}`)
      .sort();
    expect(Object.keys(document.paths).sort()).toEqual(handlers);
  });

  it('carries the input rules from the zod schemas', () => {
    expect(document.components.schemas.NewEntry).toMatchObject({
      required: ['name', 'message'],
      properties: { name: { maxLength: LIMITS.name }, message: { maxLength: LIMITS.message } },
    });
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      const name = ref.slice(ref.lastIndexOf('/') + 1, -1);
      expect(document.components.schemas, ref).toHaveProperty(name);
    }
  });
});
