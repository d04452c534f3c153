import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { grafanaDashboard } from '@/monitoring/dashboard';
import { JOBS, RULES_FILE } from '@/monitoring/prometheus';
import {
  find,
  opener,
  renderManifests,
  selectedBy,
  testPasswords,
  workload,
  type K8sObject,
  type NetworkPolicySpec,
} from './render';

/**
 * The monitoring component (k8s/components/monitoring) in the overlays that add it: the Prometheus
 * operator's objects valid against its CRDs, scraping the ports that the exporters open, with the
 * rules of monitoring/rules.yml and the dashboard of monitoring/dashboard.ts, and the NetworkPolicies
 * letting Prometheus in.
 */

interface PodMonitorSpec {
  selector: Parameters<typeof selectedBy>[1];
  podMetricsEndpoints: { port: string; path: string; relabelings: { targetLabel: string; replacement?: string; sourceLabels?: string[] }[] }[];
}

const variants = [
  ['overlays/monitoring', renderManifests(testPasswords, 'overlays/monitoring'), renderManifests(testPasswords)],
  ['overlays/sentinel-monitoring', renderManifests(testPasswords, 'overlays/sentinel-monitoring'), renderManifests(testPasswords, 'overlays/sentinel')],
] as const;

const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
const podMonitors = (objects: K8sObject[]) => objects.filter((object) => object.kind === 'PodMonitor');
const endpoints = (monitor: K8sObject) => (monitor.spec as unknown as PodMonitorSpec).podMetricsEndpoints;
const jobOf = (endpoint: PodMonitorSpec['podMetricsEndpoints'][number]) => endpoint.relabelings.find((rule) => rule.targetLabel === 'job')?.replacement;

describe.each(variants)('k8s/%s', (_variant, objects, without) => {
  it('is the variant it builds on, plus the PodMonitors, the rules and the dashboard', () => {
    const added = objects.filter((object) => !without.some((other) => key(other) === key(object)));
    expect(added.map(key).sort()).toEqual(
      ['ConfigMap/guestbook-dashboard', 'PodMonitor/guestbook-app', 'PodMonitor/guestbook-front-tier', 'PodMonitor/guestbook-queue', 'PodMonitor/guestbook-redis', 'PodMonitor/guestbook-sentinel', 'PrometheusRule/guestbook'].sort(),
    );
    for (const object of without) expect(objects.find((other) => key(other) === key(object))).toEqual(object);
  });

  it.each(['PodMonitor', 'PrometheusRule'])('renders every %s valid against the Prometheus operator’s CRD', async (kind) => {
    const models = (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1')) as unknown as Record<string, new (data: unknown) => { validate(): void }>;
    const found = objects.filter((object) => object.kind === kind);
    expect(found.length).toBeGreaterThan(0);
    for (const object of found) expect(() => new models[kind]!(object).validate(), key(object)).not.toThrow();
  });

  it('scrapes every job that the rules and the dashboard name, each on a port that its pods open', () => {
    const jobs = podMonitors(objects).flatMap((monitor) => endpoints(monitor).map(jobOf));
    expect(jobs.sort()).toEqual(Object.values(JOBS).sort());
    for (const monitor of podMonitors(objects)) {
      const pods = selectedBy(objects, (monitor.spec as unknown as PodMonitorSpec).selector);
      // The sentinels exist only in the Sentinel overlay.
      if (monitor.metadata.name === 'guestbook-sentinel' && pods.length === 0) continue;
      expect(pods.length, monitor.metadata.name).toBeGreaterThan(0);
      for (const pod of pods) {
        for (const endpoint of endpoints(monitor)) expect(opener(workload(objects, pod), endpoint.port), `${monitor.metadata.name} ${pod}`).toBeDefined();
      }
    }
  });

  it('lets Prometheus reach every port that a PodMonitor scrapes', () => {
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    for (const monitor of podMonitors(objects)) {
      for (const pod of selectedBy(objects, (monitor.spec as unknown as PodMonitorSpec).selector)) {
        const guarding = policies.filter((policy) => selectedBy(objects, (policy.spec as unknown as NetworkPolicySpec).podSelector).includes(pod));
        expect(guarding.length, pod).toBeGreaterThan(0);
        for (const policy of guarding) {
          const admitted = (policy.spec as unknown as NetworkPolicySpec).ingress.filter((rule) =>
            rule.from?.some((peer) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] === 'prometheus'),
          );
          for (const endpoint of endpoints(monitor)) {
            expect(admitted.some((rule) => rule.ports.some((port) => port.port === endpoint.port)), `${policy.metadata.name}: ${endpoint.port}`).toBe(true);
          }
        }
      }
    }
  });

  it('carries the rules of monitoring/rules.yml, unchanged', () => {
    const rule = find(objects, 'PrometheusRule', 'guestbook');
    expect(rule.spec).toEqual(parse(readFileSync(RULES_FILE, 'utf8')));
  });

  it("gives Grafana's sidecar the dashboard of monitoring/dashboard.ts, under a name that stays the same", () => {
    const dashboard = find(objects, 'ConfigMap', 'guestbook-dashboard');
    expect(dashboard.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(dashboard.data!['guestbook-dashboard.json']!)).toEqual(grafanaDashboard());
  });
});

