import { describe, expect, it } from 'vitest';
import { judgeReplica } from './replica-health';

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
