import { getConfig } from '@/lib/config';
import { formResultUrl, type FormResult } from '@/lib/guestbook/form-result';
import { fieldRules, hasHoneypot, ListQuerySchema, NewEntrySchema } from '@/lib/guestbook/schema';
import { addEntry, listEntries } from '@/lib/guestbook/store';
import { bodyKind, readBody } from '@/lib/http/body';
import { readIdempotencyKey } from '@/lib/http/idempotency-key';
import { assertSameOrigin } from '@/lib/http/origin';
import { AppError } from '@/lib/http/problem';
import { cacheHeaders, listFreshness } from '@/lib/http/caching';
import { conditionalJson } from '@/lib/http/etag';
import { methodNotAllowed, route } from '@/lib/http/route';
import { parseInput } from '@/lib/http/validate';
import { limitWrites } from '@/lib/rate-limit';

export const GET = route(async (request) => {
  const query = parseInput(ListQuerySchema, Object.fromEntries(new URL(request.url).searchParams), 'invalid_query');
  return conditionalJson(request, await listEntries(query), { headers: cacheHeaders(listFreshness(query.cursor)) });
});

const seeOther = (result: FormResult) => new Response(null, { status: 303, headers: { Location: formResultUrl(result) } });

/** An HTML form without JavaScript: every outcome is a page, never JSON. */
async function signFromForm(request: Request): Promise<Response> {
  try {
    await limitWrites(request);
    const { value } = await readBody(request);
    // A bot that filled the honeypot is shown the page as if it had worked.
    if (hasHoneypot(value)) return seeOther({ invalid: {} });
    const result = NewEntrySchema.safeParse(value);
    if (!result.success) return seeOther({ invalid: fieldRules(result.error) });
    return seeOther({ posted: (await addEntry(result.data)).entry.id });
  } catch (error) {
    if (error instanceof AppError && (error.code === 'rate_limited' || error.code === 'storage_unavailable')) {
      const reason = error.code === 'rate_limited' ? 'rateLimited' : 'unavailable';
      return seeOther({ retry: reason, seconds: error.options.retryAfterSeconds ?? 1 });
    }
    throw error;
  }
}

export const POST = route(async (request) => {
  assertSameOrigin(request, getConfig().trustProxyHops);
  if (bodyKind(request) === 'form') return signFromForm(request);
  const limits = await limitWrites(request);
  const idempotencyKey = readIdempotencyKey(request);
  const { value } = await readBody(request);
  if (hasHoneypot(value)) throw new AppError('invalid_input', 'The entry was not accepted.');
  const { entry, replayed } = await addEntry(parseInput(NewEntrySchema, value), idempotencyKey);
  return Response.json(entry, {
    status: 201,
    headers: { Location: `/api/guestbook/${entry.id}`, ...limits, ...(replayed && { 'Idempotent-Replayed': 'true' }) },
  });
});

const refuse = methodNotAllowed(['GET', 'POST']);
export { refuse as PUT, refuse as PATCH, refuse as DELETE };
