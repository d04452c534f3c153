import path from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = {
  '@': path.resolve(import.meta.dirname),
  // The marker package throws outside a React server bundle; in tests every module is server-side.
  'server-only': path.resolve(import.meta.dirname, 'test/server-only.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', environment: 'node', include: ['lib/**/*.test.ts', 'i18n/**/*.test.ts', 'scripts/**/*.test.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'component',
          environment: 'happy-dom',
          include: ['components/**/*.test.tsx'],
          setupFiles: ['test/component-setup.ts'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts', 'bench/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/setup.ts'],
          // One Redis pair serves every file, and each test starts from an empty guestbook.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'front-tier',
          environment: 'node',
          include: ['test/front-tier/**/*.test.ts'],
          // Builds the app when its sources changed, then starts Redis, two Next.js servers and nginx.
          testTimeout: 30_000,
          hookTimeout: 300_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'tracing',
          environment: 'node',
          include: ['test/tracing/**/*.test.ts'],
          // Builds the app when its sources changed, then starts Redis, three Next.js servers, their
          // front tiers and an OTLP receiver.
          testTimeout: 30_000,
          hookTimeout: 300_000,
        },
      },
      {
        resolve: { alias },
        test: { name: 'manifests', environment: 'node', include: ['test/manifests/**/*.test.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'monitoring',
          environment: 'node',
          include: ['test/monitoring/**/*.test.ts'],
          // promtool, then the local stack (built when its sources changed) under a real Prometheus.
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'container',
          environment: 'node',
          include: ['test/container/**/*.test.ts'],
          // Builds images and runs containers: minutes, not seconds, the first time on a machine.
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'cluster',
          environment: 'node',
          include: ['test/cluster/**/*.test.ts'],
          // Builds and loads the images once, then deploys k8s/ into a namespace per file: one file
          // at a time, on a cluster of two cores.
          globalSetup: ['test/cluster/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
