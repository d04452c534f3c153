import { getEntry, deleteEntry } from '@/lib/guestbook/store';
import { EntryIdSchema } from '@/lib/guestbook/schema';
import { requireAdmin } from '@/lib/http/admin';
import { assertSameOrigin } from '@/lib/http/origin';
import { getConfig } from '@/lib/config';
import { AppError } from '@/lib/http/problem';
import { methodNotAllowed, route } from '@/lib/http/route';

type Context = RouteContext<'/api/guestbook/[id]'>;

const notFound = (id: string) => new AppError('not_found', `There is no entry with id "${id.slice(0, 64)}".`);

export const GET = route(async (_request, { params }: Context) => {
  const { id } = await params;
  const entry = EntryIdSchema.safeParse(id).success ? await getEntry(id) : null;
  if (!entry) throw notFound(id);
  return Response.json(entry);
});

/** Moderation: removes the entry from every page. */
export const DELETE = route(async (request, { params }: Context) => {
  requireAdmin(request, ['GET']);
  assertSameOrigin(request, getConfig().trustProxyHops);
  const { id } = await params;
  if (!EntryIdSchema.safeParse(id).success || !(await deleteEntry(id))) throw notFound(id);
  return new Response(null, { status: 204 });
});

const refuse = methodNotAllowed(['GET', 'DELETE']);
export { refuse as POST, refuse as PUT, refuse as PATCH };
