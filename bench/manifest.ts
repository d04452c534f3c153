import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * What k8s/ gives the app's container in a frontend pod, read from the base manifest itself (no
 * kubectl needed): the benchmark holds the server to the same memory limit and starts it with the
 * same Node options, so what it measures is what a pod would do.
 */

const FRONTEND_MANIFEST = path.resolve(__dirname, '..', 'k8s', 'base', 'frontend.yaml');

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  resources?: { requests?: { memory?: string }; limits?: { memory?: string } };
}

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9, '': 1 };

/** A Kubernetes memory quantity (384Mi, 1Gi, 500M) in bytes. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G|)$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

export interface FrontendContainer {
  memoryRequestBytes: number;
  memoryLimitBytes: number;
  /** The variables that the manifest sets to literal values (NODE_OPTIONS among them). */
  env: Record<string, string>;
}

export function frontendContainer(container = 'frontend'): FrontendContainer {
  const deployment = parseAllDocuments(readFileSync(FRONTEND_MANIFEST, 'utf8'))
    .map((document) => document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } })
    .find((object) => object.kind === 'Deployment');
  const found = deployment?.spec?.template?.spec?.containers?.find((candidate) => candidate.name === container);
  const { requests, limits } = found?.resources ?? {};
  if (!requests?.memory || !limits?.memory) throw new Error(`${FRONTEND_MANIFEST}: container ${container} has no memory request and limit`);
  const env = Object.fromEntries((found!.env ?? []).flatMap(({ name, value }) => (value === undefined ? [] : [[name, value]])));
  return { memoryRequestBytes: memoryBytes(requests.memory), memoryLimitBytes: memoryBytes(limits.memory), env };
}
