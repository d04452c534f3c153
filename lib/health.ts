import 'server-only';
import { getConfig } from './config';
import { redisClient, type Role } from './redis';
import { infoField as field, judgeReplica } from './replica-health';

/**
 * What readyz reports: whether each role answers, the replica's link to its master, and where reads
 * go now. The guestbook is ready while either server answers reads.
 */

interface NodeHealth {
  status: 'up' | 'down';
  role?: string;
  masterLink?: 'up' | 'down';
}


async function replication(role: Role): Promise<string | null> {
  try {
    return await redisClient(role).info('replication');
  } catch {
    return null;
  }
}

function describe(info: string | null): NodeHealth {
  if (info === null) return { status: 'down' };
  const link = field(info, 'master_link_status');
  return { status: 'up', role: field(info, 'role'), ...(link && { masterLink: link === 'up' ? 'up' : 'down' }) };
}

export async function readiness() {
  const [masterInfo, replicaInfo] = await Promise.all([replication('master'), replication('replica')]);
  const master = describe(masterInfo);
  const replica = describe(replicaInfo);
  const trust = replicaInfo === null ? null : judgeReplica(replicaInfo, getConfig().replicaMaxLinkDownMs);
  const readsFrom = trust?.trusted || master.status === 'down' ? (replica.status === 'up' ? 'replica' : 'none') : 'master';
  return {
    ready: readsFrom !== 'none',
    readsFrom,
    master,
    replica: { ...replica, ...(trust && { trusted: trust.trusted }), ...(trust?.linkDownSeconds !== undefined && { linkDownSeconds: trust.linkDownSeconds }) },
  };
}
