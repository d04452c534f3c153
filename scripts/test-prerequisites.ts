import { NGINX } from './front-tier';
import { CHROMIUM, ensureSystemPackages, REDIS } from './system-packages';

/** Runs before `npm test`: the suites need real Redis servers, the front tier (nginx) and a real Chromium. */
try {
  ensureSystemPackages(process.env.CHROMIUM_PATH ? [REDIS, NGINX] : [REDIS, NGINX, CHROMIUM], (line) => console.log(`[test] ${line}`));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
