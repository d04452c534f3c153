import { spawnSync } from 'node:child_process';
import { PROMETHEUS } from '../monitoring/prometheus';
import { NGINX_EXPORTER, REDIS_EXPORTER } from './exporters';
import { onPath } from './system-packages';

/**
 * `npm test`: every level in turn, each as its own npm script. A suite whose tool this machine lacks
 * (kubectl for the manifests, a Docker engine for the container tests) is not run, and the summary at
 * the end says which and the command that would run it; the suites that fail make the exit code.
 * The cluster suite runs when KUBECONFIG (or kubectl's default) reaches a cluster. CI sets
 * REQUIRE_KUBECTL=1, REQUIRE_DOCKER=1, REQUIRE_PROMETHEUS=1 and REQUIRE_CLUSTER=1, so there a missing
 * tool or cluster is a failure, not a gap.
 */

interface Suite {
  script: string;
  /** Why the suite cannot run here, and what would make it run; undefined when it can. */
  missing?: () => { reason: string; remedy: string; required: boolean } | undefined;
}

const dockerAnswers = () => spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
// The container tests start dockerd themselves when they run as root and it is installed.
const dockerCanStart = () => process.getuid?.() === 0 && onPath('dockerd');

// The cluster suite's own check (test/cluster/kube.ts) asks the same of the API server.
const clusterAnswers = () =>
  spawnSync(process.env.KUBECTL ?? 'kubectl', ['get', '--raw', '/readyz', '--request-timeout=5s'], { encoding: 'utf8' }).stdout?.trim() === 'ok';

const SUITES: Suite[] = [
  { script: 'typecheck' },
  { script: 'lint' },
  { script: 'test:unit' },
  { script: 'test:component' },
  { script: 'test:integration' },
  { script: 'test:e2e' },
  { script: 'test:front-tier' },
  { script: 'test:tracing' },
  {
    script: 'test:manifests',
    missing: () =>
      onPath('kubectl')
        ? undefined
        : {
            reason: "kubectl is not installed (its kustomize renders k8s/; npm has no kustomize, and Debian 12's kubectl 1.20 is too old for k8s/)",
            remedy: 'install kubectl 1.27 or later (https://kubernetes.io/docs/tasks/tools/), then: npm run test:manifests',
            required: process.env.REQUIRE_KUBECTL === '1',
          },
  },
  {
    script: 'test:monitoring',
    missing: () => {
      // `npm test` installs them beforehand where it can (scripts/test-prerequisites.ts).
      const absent = [PROMETHEUS, REDIS_EXPORTER, NGINX_EXPORTER].filter((item) => !onPath(item.command));
      return absent.length === 0
        ? undefined
        : {
            reason: `${absent.map((item) => item.command).join(', ')} not installed, and they could not be installed here`,
            remedy: `sudo apt-get install -y ${absent.flatMap((item) => item.apt).join(' ')}, then: npm run test:monitoring`,
            required: process.env.REQUIRE_PROMETHEUS === '1',
          };
    },
  },
  {
    script: 'test:container',
    missing: () =>
      dockerAnswers() || dockerCanStart()
        ? undefined
        : {
            reason: 'no Docker engine answers, and none can be started here',
            remedy: 'sudo apt-get install -y docker.io debootstrap, then (as root) npm run test:container, which starts dockerd',
            required: process.env.REQUIRE_DOCKER === '1',
          },
  },
  {
    script: 'test:cluster',
    missing: () =>
      clusterAnswers()
        ? undefined
        : {
            reason: `no Kubernetes cluster answers for KUBECONFIG=${process.env.KUBECONFIG ?? "(kubectl's default)"}`,
            remedy: 'start one (as root: ../shared/cluster/up.sh, then export its last line; or kind create cluster, minikube start), then: npm run test:cluster',
            required: process.env.REQUIRE_CLUSTER === '1',
          },
  },
];

type Outcome = { script: string; result: 'passed' | 'FAILED' | 'not run'; note?: string };

function run(suite: Suite): Outcome {
  const missing = suite.missing?.();
  if (missing && !missing.required) return { script: suite.script, result: 'not run', note: `${missing.reason}. To run it: ${missing.remedy}` };
  if (missing) return { script: suite.script, result: 'FAILED', note: `required here, but ${missing.reason}` };
  console.log(`\n[test] npm run ${suite.script}`);
  const { status } = spawnSync('npm', ['run', '--silent', suite.script], { stdio: 'inherit' });
  return { script: suite.script, result: status === 0 ? 'passed' : 'FAILED' };
}

const outcomes = SUITES.map(run);
const width = Math.max(...outcomes.map(({ script }) => script.length));
console.log('\n[test] summary');
for (const { script, result, note } of outcomes) console.log(`  ${script.padEnd(width)}  ${result}${note ? `: ${note}` : ''}`);
const notRun = outcomes.filter(({ result }) => result === 'not run');
if (notRun.length) console.log(`\n[test] NOT RUN on this machine: ${notRun.map(({ script }) => script).join(', ')} (see above for how to run them)`);
process.exitCode = outcomes.some(({ result }) => result === 'FAILED') ? 1 : 0;
