import type { Pod } from './kube';

/**
 * NetworkPolicy as an enforcing network plugin applies it (ingress), evaluated in code for the live
 * pods of a namespace: which pod may open a connection to which port of which other pod. Clusters
 * whose plugin ignores the policies (a bridge CNI, kind's kindnet before 0.24) admit everything; the
 * evaluation says what every cluster that enforces them would admit.
 */

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}

export interface NetworkPolicy {
  metadata: { name: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: { port?: number | string; protocol?: string }[] }[];
  };
}

export function matches(selector: Selector, labels: Record<string, string>): boolean {
  const expressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return values.includes(labels[key] ?? '\0');
      case 'NotIn':
        return !values.includes(labels[key] ?? '\0');
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return expressions && Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** A pod that may open connections: its labels and namespace's labels. */
export interface Source {
  name: string;
  labels: Record<string, string>;
  namespaceLabels: Record<string, string>;
}

/** A container port of a pod: its number and name. */
export interface Target {
  pod: Pod;
  port: number;
  portName?: string;
}

const isIngress = (policy: NetworkPolicy) => (policy.spec.policyTypes ?? ['Ingress']).includes('Ingress');

/** Whether `source` (in the target's namespace unless its namespace labels say otherwise) may reach `target`. */
export function admits(policies: NetworkPolicy[], namespaceLabels: Record<string, string>, source: Source, target: Target): boolean {
  const selecting = policies.filter((policy) => isIngress(policy) && matches(policy.spec.podSelector, target.pod.metadata.labels));
  if (selecting.length === 0) return true;
  const sameNamespace = Object.entries(namespaceLabels).every(([key, value]) => source.namespaceLabels[key] === value);
  return selecting.some((policy) =>
    (policy.spec.ingress ?? []).some((rule) => {
      const portOk = !rule.ports?.length || rule.ports.some((port) => port.port === undefined || port.port === target.port || port.port === target.portName);
      const peerOk =
        !rule.from?.length ||
        rule.from.some((peer) => {
          if (peer.ipBlock) return false;
          const inNamespace = peer.namespaceSelector ? matches(peer.namespaceSelector, source.namespaceLabels) : sameNamespace;
          return inNamespace && (peer.podSelector ? matches(peer.podSelector, source.labels) : true);
        });
      return portOk && peerOk;
    }),
  );
}

/** Every container port of a pod, by number and name. */
export const targetsOf = (pod: Pod): Target[] =>
  pod.spec.containers.flatMap((container) => (container.ports ?? []).map((port) => ({ pod, port: port.containerPort, portName: port.name })));
