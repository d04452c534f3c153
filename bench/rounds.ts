import { percentile, runLoad, type LoadRequest } from './load';
import type { ServerProcess } from './servers';

/**
 * Several servers measured in turns: each serves a round of every load, then the next server does,
 * round after round, and the order of the servers turns over every round. On a machine that others
 * keep busy a process's CPU time per request moves by half from one minute to the next: only servers
 * measured in the same turns compare (bench:page, the tracing rows of npm run bench).
 */

export interface Cost {
  cpuUs: number;
  requests: number;
  /** Each round's server CPU µs per request, and its latencies, for the spread. */
  rounds: number[];
  p50Ms: number[];
  p99Ms: number[];
}

export interface RoundSettings {
  rounds: number;
  /** Requests per round and load. */
  amount: number;
  connections: number;
}

export async function measureInTurns<Load extends string>(
  servers: ServerProcess[],
  loads: Record<Load, LoadRequest[]>,
  { rounds, amount, connections }: RoundSettings,
  log: (line: string) => void,
): Promise<Map<ServerProcess, Record<Load, Cost>>> {
  const names = Object.keys(loads) as Load[];
  const empty = (): Cost => ({ cpuUs: 0, requests: 0, rounds: [], p50Ms: [], p99Ms: [] });
  const costs = new Map(servers.map((server) => [server, Object.fromEntries(names.map((name) => [name, empty()])) as Record<Load, Cost>]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      for (const name of names) {
        const load = await runLoad({ origins: [server.origin], pids: [server.pid] }, loads[name], { amount, warmupSeconds: 0, connections });
        if (load.non2xx + load.errors > 0) throw new Error(`${name}: ${load.non2xx} non-2xx and ${load.errors} errors`);
        const cost = costs.get(server)![name];
        cost.cpuUs += load.serverCpuUs * load.requests;
        cost.requests += load.requests;
        cost.rounds.push(load.serverCpuUs);
        cost.p50Ms.push(load.p50Ms);
        cost.p99Ms.push(load.p99Ms);
      }
    }
    log(`round ${round + 1} of ${rounds}`);
  }
  return costs;
}

export const cpuPerRequest = ({ cpuUs, requests }: Cost) => cpuUs / requests;

export const spread = (values: number[]) => `${percentile(values, 25).toFixed(0)}–${percentile(values, 75).toFixed(0)}`;

export const perRequest = (cost: Cost) => `${cpuPerRequest(cost).toFixed(0)} µs (rounds p25–p75 ${spread(cost.rounds)})`;
