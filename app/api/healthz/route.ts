/** Liveness: the process answers. It touches no Redis, so a Redis outage never restarts the pods. */
export function GET(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'Cache-Control': 'no-store' } });
}
