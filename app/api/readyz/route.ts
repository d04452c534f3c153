import { readiness } from '@/lib/health';
import { isDraining } from '@/lib/shutdown';

/** Readiness: entries can be read, from a replica or else from the master — and the process is not shutting down. */
export async function GET(): Promise<Response> {
  if (isDraining()) return answer(false, { status: 'draining' });
  const { ready, ...nodes } = await readiness();
  return answer(ready, { status: ready ? 'ready' : 'unavailable', ...nodes });
}

function answer(ready: boolean, body: object): Response {
  return Response.json(body, {
    status: ready ? 200 : 503,
    headers: { 'Cache-Control': 'no-store', ...(!ready && { 'Retry-After': '1' }) },
  });
}
