import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { grafanaDashboard } from './dashboard';
import { RULES_FILE } from './prometheus';

/**
 * `npm run monitoring:generate`: the Kubernetes forms of the monitoring, made from their one source
 * each: the PrometheusRule from monitoring/rules.yml, the dashboard's JSON from monitoring/dashboard.ts.
 * Both are committed (kustomize can only read files), and a test fails while they are not current.
 */

const ROOT = path.resolve(__dirname, '..');
export const COMPONENT_DIR = path.join(ROOT, 'k8s', 'components', 'monitoring');

const header = (source: string) =>
  `# Generated from ${source} by \`npm run monitoring:generate\`: edit that, not this.\n`;

function prometheusRule(): string {
  const { groups } = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'guestbook',
      labels: { 'app.kubernetes.io/name': 'guestbook', 'app.kubernetes.io/instance': 'guestbook', 'app.kubernetes.io/component': 'monitoring' },
    },
    spec: { groups },
  };
  return header('monitoring/rules.yml') + stringify(rule, { lineWidth: 0 });
}

/** Every generated file, by its path from the repository's root, with the content it must have. */
export function generatedFiles(): Record<string, string> {
  const relative = (file: string) => path.relative(ROOT, path.join(COMPONENT_DIR, file));
  return {
    [relative('prometheus-rule.yaml')]: prometheusRule(),
    [relative('guestbook-dashboard.json')]: `${JSON.stringify(grafanaDashboard(), null, 2)}\n`,
  };
}

if (require.main === module) {
  for (const [file, content] of Object.entries(generatedFiles())) {
    writeFileSync(path.join(ROOT, file), content);
    console.log(`wrote ${file}`);
  }
}
