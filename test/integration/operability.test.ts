import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as events from '@/app/api/guestbook/events/route';
import * as metricsRoute from '@/app/api/metrics/route';
import * as readyz from '@/app/api/readyz/route';
import { drain, isDraining } from '@/lib/shutdown';
import { call, postJson } from './helpers';

const metricsText = async () => (await metricsRoute.GET()).text();

describe('request ids', () => {
  it('every API response carries one; a caller may bring its own', async () => {
    const generated = await call(collection.GET, '/api/guestbook');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const given = await call(collection.GET, '/api/guestbook', { headers: { 'X-Request-Id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const refused = await call(collection.GET, '/api/guestbook', { headers: { 'X-Request-Id': 'not ok <script>' } });
    expect(refused.headers.get('x-request-id')).not.toContain('<script>');
  });
});

describe('metrics', () => {
  it('count requests by route and status, and time Redis work by role', async () => {
    await postJson(collection.POST, { name: 'Ada', message: 'counted' });
    await postJson(collection.POST, { name: '', message: '' });
    await call(collection.GET, '/api/guestbook');
    const text = await metricsText();
    expect(text).toMatch(/guestbook_http_request_duration_seconds_count\{route="\/api\/guestbook",method="POST",status="201"\} [1-9]/);
    expect(text).toMatch(/guestbook_http_request_duration_seconds_count\{route="\/api\/guestbook",method="POST",status="400"\} [1-9]/);
    expect(text).toMatch(/guestbook_http_request_duration_seconds_count\{route="\/api\/guestbook",method="GET",status="200"\} [1-9]/);
    expect(text).toMatch(/guestbook_redis_command_duration_seconds_count\{role="master",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/guestbook_redis_command_duration_seconds_count\{role="replica",outcome="ok"\} [1-9]/);
    expect(text).toContain('guestbook_replica_fallbacks_total');
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('graceful shutdown', () => {
  it('drains: readyz says so, live streams end, and the connections close after the requests in flight', async () => {
    const stream = await events.GET(new Request('http://localhost/api/guestbook/events'), undefined as never);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read(); // the retry hint

    let postDone = false;
    let postDoneWhenClosed: boolean | undefined;
    const slow = Promise.resolve(postJson(collection.POST, { name: 'Ada', message: 'in flight while draining' }));
    void slow.then(() => (postDone = true));
    const drained = drain(async () => {
      postDoneWhenClosed = postDone;
    });
    expect(isDraining()).toBe(true);
    const ready = await readyz.GET();
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });

    // The in-flight post still completes, and the stream ends instead of hanging on.
    expect((await slow).status).toBe(201);
    for (;;) if ((await reader.read()).done) break;
    await drained;
    expect(postDoneWhenClosed).toBe(true);
  });
});
