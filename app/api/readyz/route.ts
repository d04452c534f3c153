import { readiness } from '@/lib/health';

/** Readiness: entries can be read, from a replica or else from the master. */
export async function GET(): Promise<Response> {
  const { ready, ...nodes } = await readiness();
  return Response.json(
    { status: ready ? 'ready' : 'unavailable', ...nodes },
    { status: ready ? 200 : 503, headers: { 'Cache-Control': 'no-store', ...(!ready && { 'Retry-After': '1' }) } },
  );
}
