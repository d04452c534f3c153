import { describe, expect, it } from 'vitest';
import { judgeReplica, ReplicationLag } from './replica-health';

const info = (lines: string[]) => ['# Replication', ...lines].join('\r\n');

describe('judgeReplica', () => {
  it('trusts a linked replica', () => {
    expect(judgeReplica(info(['role:slave', 'master_link_status:up']), 5000)).toEqual({ trusted: true, reason: 'linked' });
  });
  it('trusts a replica whose link has been down for less than the bound', () => {
    expect(judgeReplica(info(['role:slave', 'master_link_status:down', 'master_link_down_since_seconds:3']), 5000)).toMatchObject({
      trusted: true,
      linkDownSeconds: 3,
    });
  });
  it('distrusts one whose link has been down for longer', () => {
    expect(judgeReplica(info(['role:slave', 'master_link_status:down', 'master_link_down_since_seconds:6']), 5000)).toMatchObject({
      trusted: false,
      reason: 'link-down',
    });
  });
  it('distrusts one that never synced', () => {
    expect(judgeReplica(info(['role:slave', 'master_link_status:down', 'master_link_down_since_seconds:-1']), 5000).trusted).toBe(false);
  });
  it('trusts a master used as the read server (no replica configured)', () => {
    expect(judgeReplica(info(['role:master', 'connected_slaves:0']), 5000)).toEqual({ trusted: true, reason: 'not-a-replica' });
  });
});

describe('ReplicationLag', () => {
  it('is 0 while the replica has applied everything that the master had', () => {
    const lag = new ReplicationLag();
    expect(lag.observe(1_000, 500, 500)).toBe(0);
    expect(lag.observe(2_000, 800, 800)).toBe(0);
  });
  it('is how long ago the master first had a byte that the replica still lacks', () => {
    const lag = new ReplicationLag();
    lag.observe(1_000, 100, 100);
    lag.observe(2_000, 200, 150);
    lag.observe(3_000, 300, 150);
    expect(lag.observe(4_500, 400, 150)).toBe(2.5);
    // It catches up to what the master had at 3 s: behind by what was first seen at 4.5 s.
    expect(lag.observe(5_000, 400, 300)).toBe(0.5);
    expect(lag.observe(6_000, 400, 400)).toBe(0);
  });
  it('is 0 for an offset seen the same moment on both, even if the master has moved on by then', () => {
    expect(new ReplicationLag().observe(1_000, 120, 100)).toBe(0);
  });
  it('reports a lag longer than it remembers as the whole of what it remembers', () => {
    const lag = new ReplicationLag();
    for (let second = 0; second <= 400; second++) lag.observe(second * 1_000, 1_000 + second, 10);
    // 300 polls a second apart span 299 s.
    expect(lag.observe(401_000, 2_000, 10)).toBe(299);
  });
});
