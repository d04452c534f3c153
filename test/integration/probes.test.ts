import { describe, expect, it } from 'vitest';
import * as healthz from '@/app/api/healthz/route';
import * as readyz from '@/app/api/readyz/route';

describe('probes', () => {
  it('healthz answers 200', async () => {
    const response = healthz.GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('readyz answers 200 and tells the state of master and replica', async () => {
    const response = await readyz.GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      readsFrom: 'replica',
      master: { status: 'up', role: 'master' },
      replica: { status: 'up', role: 'slave', masterLink: 'up', trusted: true },
    });
  });
});
