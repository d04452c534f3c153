import { expect, test } from '@playwright/test';

/** The README's curl examples, against the running server. */
test.describe('the REST API over HTTP', () => {
  test('create, fetch by Location, and list', async ({ request }) => {
    const created = await request.post('/api/guestbook', { data: { name: 'curl', message: 'Hello over HTTP 你好' } });
    expect(created.status()).toBe(201);
    const entry = await created.json();
    const location = created.headers()['location']!;
    expect(location).toBe(`/api/guestbook/${entry.id}`);
    expect(await (await request.get(location)).json()).toEqual(entry);
    const page = await (await request.get('/api/guestbook?limit=100')).json();
    expect(page.entries).toContainEqual(entry);
  });

  test('errors are problem+json', async ({ request }) => {
    const response = await request.post('/api/guestbook', { data: { name: '', message: '' } });
    expect(response.status()).toBe(400);
    expect(response.headers()['content-type']).toBe('application/problem+json');
    expect((await response.json()).errors).toHaveProperty('name');
    const missing = await request.get('/api/guestbook/1-0');
    expect(missing.status()).toBe(404);
  });

  test('probes and the OpenAPI document answer', async ({ request }) => {
    expect((await request.get('/api/healthz')).status()).toBe(200);
    const ready = await request.get('/api/readyz');
    expect(await ready.json()).toMatchObject({ status: 'ready', replica: { masterLink: 'up' } });
    const openapi = await (await request.get('/api/openapi.json')).json();
    expect(openapi.openapi).toBe('3.1.0');
  });

  test('responses do not advertise the framework', async ({ request }) => {
    const response = await request.get('/api/healthz');
    expect(response.headers()['x-powered-by']).toBeUndefined();
  });
});
