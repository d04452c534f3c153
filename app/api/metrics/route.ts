import { metrics } from '@/lib/metrics';

/** Prometheus scrapes this (k8s/ carries the scrape annotations). */
export async function GET(): Promise<Response> {
  const { registry } = metrics();
  return new Response(await registry.metrics(), { headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' } });
}
