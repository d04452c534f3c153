import { addEntry, listEntries } from '@/lib/guestbook/store';
import { fieldRules, ListQuerySchema, NewEntrySchema } from '@/lib/guestbook/schema';
import { readBody } from '@/lib/http/body';
import { conditionalJson } from '@/lib/http/etag';
import { methodNotAllowed, route } from '@/lib/http/route';
import { parseInput } from '@/lib/http/validate';
import { formResultUrl } from '@/lib/guestbook/form-result';

export const GET = route(async (request) => {
  const query = parseInput(ListQuerySchema, Object.fromEntries(new URL(request.url).searchParams), 'invalid_query');
  return conditionalJson(request, await listEntries(query));
});

export const POST = route(async (request) => {
  const body = await readBody(request);
  if (body.kind === 'form') {
    // An HTML form without JavaScript: answer with the page, never with JSON.
    const result = NewEntrySchema.safeParse(body.value);
    const location = result.success
      ? formResultUrl({ posted: (await addEntry(result.data)).id })
      : formResultUrl({ invalid: fieldRules(result.error) });
    return new Response(null, { status: 303, headers: { Location: location } });
  }
  const entry = await addEntry(parseInput(NewEntrySchema, body.value));
  return Response.json(entry, { status: 201, headers: { Location: `/api/guestbook/${entry.id}` } });
});

const refuse = methodNotAllowed(['GET', 'POST']);
export { refuse as PUT, refuse as PATCH, refuse as DELETE };
