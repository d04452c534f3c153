import type { FieldErrors } from '@/lib/http/problem';

/**
 * A form post without JavaScript ends in a 303 back to the page; the query string carries what
 * happened, so that the page can show the new entry or say which field to fix.
 */

export type FormResult = { posted: string } | { errors: FieldErrors };

export function formResultUrl(result: FormResult): string {
  const query = new URLSearchParams();
  if ('posted' in result) query.set('posted', result.posted);
  else for (const field of Object.keys(result.errors)) query.append('invalid', field);
  return `/?${query}#${'posted' in result ? `entry-${result.posted}` : 'sign'}`;
}

/** Reads the page's query back: the entry just posted, and the fields that were refused. */
export function readFormResult(query: Record<string, string | string[] | undefined>) {
  const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
  return { posted: list(query.posted)[0], invalid: list(query.invalid) };
}
