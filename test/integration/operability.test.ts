import { describe, expect, it } from 'vitest';
import * as collection from '@/app/api/guestbook/route';
import * as events from '@/app/api/guestbook/events/route';
import * as metricsRoute from '@/app/api/metrics/route';
import * as readyz from '@/app/api/readyz/route';
import { drain, isDraining } from '@/lib/shutdown';
import { replicaMonitor } from '@/lib/redis';
import { call, metric, postJson } from './helpers';

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

describe('metrics of what only the app knows', () => {
  it('count reads by the server that answered them, and posted entries by how they ended', async () => {
    const before = {
      replica: await metric('guestbook_redis_reads_total', { source: 'replica' }),
      created: await metric('guestbook_writes_total', { outcome: 'created' }),
      replayed: await metric('guestbook_writes_total', { outcome: 'replayed' }),
      refused: await metric('guestbook_writes_total', { outcome: 'refused' }),
    };
    await call(collection.GET, '/api/guestbook');
    const key = { 'Idempotency-Key': '0d6f7f1e-2b43-4c38-9d3e-5a1f7b2c9e11' };
    expect((await postJson(collection.POST, { name: 'Ada', message: 'once' }, key)).status).toBe(201);
    expect((await postJson(collection.POST, { name: 'Ada', message: 'once' }, key)).status).toBe(201);
    expect((await postJson(collection.POST, { name: 'Ada', message: 'another entry' }, key)).status).toBe(422);
    expect({
      replica: (await metric('guestbook_redis_reads_total', { source: 'replica' })) - before.replica,
      created: (await metric('guestbook_writes_total', { outcome: 'created' })) - before.created,
      replayed: (await metric('guestbook_writes_total', { outcome: 'replayed' })) - before.replayed,
      refused: (await metric('guestbook_writes_total', { outcome: 'refused' })) - before.refused,
    }).toEqual({ replica: 1, created: 1, replayed: 1, refused: 1 });
    // Every outcome and source has its series from the start, so that a rate of it exists.
    expect(await metricsText()).toMatch(/^guestbook_writes_total\{outcome="unconfirmed"\} 0$/m);
  });

  it('count the live streams open', async () => {
    const open = await metric('guestbook_live_streams');
    const stream = await events.GET(new Request('http://localhost/api/guestbook/events'), undefined as never);
    expect(await metric('guestbook_live_streams')).toBe(open + 1);
    await stream.body!.cancel();
    expect(await metric('guestbook_live_streams')).toBe(open);
  });

  it('report its connections, a replica that is linked and trusted, and no lag', async () => {
    await call(collection.GET, '/api/guestbook');
    await replicaMonitor().poll();
    expect(await metric('guestbook_redis_connected', { role: 'master' })).toBe(1);
    expect(await metric('guestbook_redis_connected', { role: 'replica' })).toBe(1);
    expect(await metric('guestbook_replica_trusted')).toBe(1);
    expect(await metric('guestbook_replica_lag_seconds')).toBe(0);
    expect(await metric('guestbook_memory_limit_bytes')).toBeGreaterThan(0);
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
