import { EVENT_STREAM_HEADERS, openEventStream, resumePoint } from '@/lib/live/event-stream';
import { liveFeed } from '@/lib/live/feed';
import { methodNotAllowed, route } from '@/lib/http/route';

// A stream per request, never a cached answer.
export const dynamic = 'force-dynamic';

export const GET = route(async (request) => {
  const stream = await openEventStream(liveFeed(), resumePoint(request), request.signal);
  return new Response(stream, { headers: EVENT_STREAM_HEADERS });
});

const refuse = methodNotAllowed(['GET']);
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
