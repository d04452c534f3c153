import 'server-only';
import { redisClient, type Role } from './redis';

/**
 * What readyz reports: whether each role answers, and for the replica whether it is linked to its
 * master. The guestbook can serve reads while either answers.
 */

export interface NodeHealth {
  status: 'up' | 'down';
  role?: string;
  masterLink?: 'up' | 'down';
}

function field(info: string, name: string): string | undefined {
  return info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim();
}

async function probe(role: Role): Promise<NodeHealth> {
  try {
    const info = await redisClient(role).info('replication');
    const serverRole = field(info, 'role');
    const link = field(info, 'master_link_status');
    return { status: 'up', role: serverRole, ...(link && { masterLink: link === 'up' ? 'up' : 'down' }) };
  } catch {
    return { status: 'down' };
  }
}

export async function readiness() {
  const [master, replica] = await Promise.all([probe('master'), probe('replica')]);
  return { ready: master.status === 'up' || replica.status === 'up', master, replica };
}
