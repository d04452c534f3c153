import type { Field, Rule } from './schema';

/**
 * A form post without JavaScript ends in a 303 back to the page; the query string carries what
 * happened, so that the page can show the new entry or say which rule a field broke.
 */

export type FieldRules = Partial<Record<Field, Rule>>;
export type RetryReason = 'rateLimited' | 'unavailable';
export type FormResult = { posted: string } | { invalid: FieldRules } | { retry: RetryReason; seconds: number };

const FIELDS = new Set<string>(['name', 'message'] satisfies Field[]);
const RULES = new Set<string>(['required', 'tooLong'] satisfies Rule[]);

export function formResultUrl(result: FormResult): string {
  const query = new URLSearchParams();
  if ('posted' in result) query.set('posted', result.posted);
  else if ('retry' in result) query.set('retry', `${result.retry}:${result.seconds}`);
  else for (const [field, rule] of Object.entries(result.invalid)) query.append('invalid', `${field}:${rule}`);
  return `/?${query}#${'posted' in result ? `entry-${result.posted}` : 'sign'}`;
}

const RETRY = /^(rateLimited|unavailable):(\d{1,5})$/;

/** Reads the page's query back; anything that we did not write is ignored. */
export function readFormResult(query: Record<string, string | string[] | undefined>): {
  posted?: string;
  invalid: FieldRules;
  retry?: { reason: RetryReason; seconds: number };
} {
  const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
  const invalid: FieldRules = {};
  for (const item of list(query.invalid)) {
    const [field = '', rule = ''] = item.split(':');
    if (FIELDS.has(field) && RULES.has(rule)) invalid[field as Field] = rule as Rule;
  }
  const retry = list(query.retry)[0]?.match(RETRY);
  return {
    posted: list(query.posted)[0],
    invalid,
    ...(retry && { retry: { reason: retry[1] as RetryReason, seconds: Number(retry[2]) } }),
  };
}
