import path from 'node:path';
import { stringify } from 'yaml';
import type { SystemPackage } from '../scripts/system-packages';

/**
 * What Prometheus scrapes, by job: the names that the rules (monitoring/rules.yml), the dashboard and
 * the PodMonitors of k8s/components/monitoring share, and the configuration of a plain Prometheus for
 * the local stack (npm start writes one beside its data; the monitoring test runs Prometheus on it).
 */

export const JOBS = {
  /** The app's own metrics (prom-client), at /api/metrics on its port. */
  app: 'guestbook-app',
  /** The front tier: NGINX's exporter reading nginx's stub_status. */
  frontTier: 'guestbook-front-tier',
  /** The front tier's admission queue: HAProxy's own exporter (its queue, its waits, its 503s). */
  queue: 'guestbook-queue',
  /** redis_exporter beside each Redis server, master and replicas alike (label component). */
  redis: 'guestbook-redis',
  /** redis_exporter beside each sentinel (the Sentinel overlay). */
  sentinel: 'guestbook-sentinel',
} as const;

export type Job = (typeof JOBS)[keyof typeof JOBS];

export interface Target {
  job: Job;
  /** What a person calls it, in the start output. */
  name: string;
  /** The full URL of its metrics. */
  url: string;
  /** Labels that the pods get from their own labels in a cluster (component: master, replica…). */
  labels?: Record<string, string>;
}

export const RULES_FILE = path.resolve(__dirname, 'rules.yml');
export const RULE_TESTS_FILE = path.resolve(__dirname, 'rules.test.yml');

/** Prometheus and promtool (Debian's 2.42), for the monitoring tests and whoever runs the stack's configuration. */
export const PROMETHEUS: SystemPackage = {
  command: 'prometheus',
  apt: ['prometheus'],
  hint: 'Install Prometheus and promtool: sudo apt-get install -y prometheus (Debian, Ubuntu).',
};

export interface PrometheusOptions {
  /** How often to scrape and to evaluate the rules. */
  interval?: string;
  ruleFiles?: string[];
}

export function prometheusConfig(targets: Target[], { interval = '15s', ruleFiles = [RULES_FILE] }: PrometheusOptions = {}): string {
  const jobs = [...new Set(targets.map((target) => target.job))];
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: ruleFiles,
    scrape_configs: jobs.map((job) => {
      const mine = targets.filter((target) => target.job === job);
      const paths = new Set(mine.map((target) => new URL(target.url).pathname));
      if (paths.size !== 1) throw new Error(`the targets of ${job} serve their metrics at different paths`);
      return {
        job_name: job,
        metrics_path: [...paths][0],
        static_configs: mine.map((target) => ({ targets: [new URL(target.url).host], ...(target.labels && { labels: target.labels }) })),
      };
    }),
  });
}
