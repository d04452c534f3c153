import { getEntry } from '@/lib/guestbook/store';
import { EntryIdSchema } from '@/lib/guestbook/schema';
import { AppError } from '@/lib/http/problem';
import { methodNotAllowed, route } from '@/lib/http/route';

export const GET = route(async (_request, { params }: RouteContext<'/api/guestbook/[id]'>) => {
  const { id } = await params;
  const entry = EntryIdSchema.safeParse(id).success ? await getEntry(id) : null;
  if (!entry) throw new AppError('not_found', `There is no entry with id "${id}".`);
  return Response.json(entry);
});

const refuse = methodNotAllowed(['GET']);
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
