import { z } from 'zod';
import { codePointLength, normalizeText } from './text';

/**
 * The guestbook's schemas: the one source of its types, of the server's validation, of the form's
 * validation in the browser, and of the OpenAPI document.
 */

export const LIMITS = { name: 64, message: 500 } as const;
export type Field = keyof typeof LIMITS;

/** The rule that a field broke, for messages in the visitor's language (see fieldRules). */
export type Rule = 'required' | 'tooLong';

const text = (field: Field, multiline: boolean) =>
  z
    .string({ error: `${field} must be text` })
    .overwrite((value) => normalizeText(value, { multiline }))
    .refine((value) => value.length > 0, { message: `${field} is required`, params: { rule: 'required' } })
    .refine((value) => codePointLength(value) <= LIMITS[field], {
      message: `${field} must be at most ${LIMITS[field]} characters`,
      params: { rule: 'tooLong' },
    })
    .meta({
      description: `Plain text, 1–${LIMITS[field]} Unicode code points after normalization (NFC, control characters removed${multiline ? '' : ', line breaks as spaces'}) and trimming.`,
      minLength: 1,
      maxLength: LIMITS[field],
    });

/**
 * A field that people never see and bots fill in; an entry that comes with it is refused. Its name
 * is one that form-filling bots look for.
 */
export const HONEYPOT_FIELD = 'website';

export function hasHoneypot(body: unknown): boolean {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[HONEYPOT_FIELD] : undefined;
  return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
}

export const NewEntrySchema = z
  .object({
    name: text('name', false),
    message: text('message', true),
  })
  .meta({ id: 'NewEntry', description: 'What a visitor writes. Unknown fields are ignored.' });

/** A stream entry id, "<milliseconds>-<sequence>", assigned by Redis on append. */
export const EntryIdSchema = z
  .string()
  .regex(/^\d{1,15}-\d{1,19}$/, 'is not an entry id')
  .meta({ id: 'EntryId', description: 'Assigned by the server; time-ordered.', examples: ['1764201600000-0'] });

export const EntrySchema = z
  .object({
    id: EntryIdSchema,
    name: z.string(),
    message: z.string(),
    createdAt: z.iso.datetime().meta({ description: 'ISO 8601, UTC' }),
  })
  .meta({ id: 'Entry' });

export const EntryPageSchema = z
  .object({
    entries: z.array(EntrySchema).meta({ description: 'Newest first.' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next, older page; null on the last page.' }),
  })
  .meta({ id: 'EntryPage' });

export const PAGE_SIZE = { default: 20, max: 100 } as const;

export const ListQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `limit must be a whole number from 1 to ${PAGE_SIZE.max}`)
    .transform(Number)
    .pipe(z.number().min(1, 'limit must be at least 1').max(PAGE_SIZE.max, `limit must be at most ${PAGE_SIZE.max}`))
    .default(PAGE_SIZE.default)
    .meta({ description: `Entries per page, 1–${PAGE_SIZE.max}.` }),
  cursor: z.string().max(200, 'cursor is not valid').optional().meta({ description: 'The `nextCursor` of the previous page; opaque.' }),
});

export type NewEntry = z.output<typeof NewEntrySchema>;
export type Entry = z.output<typeof EntrySchema>;
export type EntryPage = z.output<typeof EntryPageSchema>;
export type ListQuery = z.output<typeof ListQuerySchema>;

/** Which rule each field broke; a value that is not text at all counts as missing. */
export function fieldRules(error: z.ZodError): Partial<Record<Field, Rule>> {
  const rules: Partial<Record<Field, Rule>> = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (field !== 'name' && field !== 'message') continue;
    const rule = issue.code === 'custom' ? (issue.params?.rule as Rule | undefined) : undefined;
    rules[field] ??= rule ?? 'required';
  }
  return rules;
}
