import { PROMETHEUS } from '../monitoring/prometheus';
import { NGINX_EXPORTER, REDIS_EXPORTER } from './exporters';
import { HAPROXY, NGINX } from './front-tier';
import { CHROMIUM, ensureSystemPackages, REDIS } from './system-packages';

/**
 * Runs before `npm test`: the suites need real Redis servers, the front tier (nginx and HAProxy) and a real
 * Chromium; the monitoring suite Prometheus and the exporters, which are installed where they can
 * be (else that suite is not run, and the summary says how to run it).
 */
const log = (line: string) => console.log(`[test] ${line}`);
try {
  ensureSystemPackages(process.env.CHROMIUM_PATH ? [REDIS, NGINX, HAPROXY] : [REDIS, NGINX, HAPROXY, CHROMIUM], log);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
try {
  ensureSystemPackages([PROMETHEUS, REDIS_EXPORTER, NGINX_EXPORTER], log);
} catch (error) {
  log(`the monitoring suite will not run: ${error instanceof Error ? error.message : String(error)}`);
}
