import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { docker, ensureEngine } from '../container/docker';
import { renderManifests, testPasswords, testServerActionsKey } from '../manifests/render';
import { podImages } from './deploy';
import { buildImage, detectLoader, ensureBaseImages, isOurs } from './images';
import { clusterAnswers, kubectl } from './kube';
import { readSteps, stepsTable } from './report';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: {
      /** False when no cluster answers and none is required: the files say so and run nothing. */
      available: boolean;
      /** Our images' tags: the first build, and a new build for the rollout of a new version. */
      tags: Record<string, string>;
      nextTags: Record<string, string>;
      serverActionsKey: string;
      stepsFile: string;
      run: string;
    };
  }
}

const log = (line: string) => console.log(`[cluster] ${line}`);
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(0);

/** Where a cluster is required (CI: REQUIRE_CLUSTER=1), its absence is a failure; elsewhere a notice. */
async function reachable(): Promise<boolean> {
  if (await clusterAnswers()) return true;
  const why = `no Kubernetes API server answers for KUBECONFIG=${process.env.KUBECONFIG ?? '(kubectl default)'}`;
  if (process.env.REQUIRE_CLUSTER === '1') throw new Error(`REQUIRE_CLUSTER=1, but ${why}`);
  console.warn(`\n${'!'.repeat(72)}\n!! NOT RUN: the cluster tests need a cluster, and ${why}.\n!! Start one (../shared/cluster/up.sh, kind create cluster, minikube start), then: npm run test:cluster\n${'!'.repeat(72)}\n`);
  return false;
}

/**
 * Our images, built twice: the first build and a new one that differs by its deployment id (as a new
 * version would), both with the run's server actions key; CLUSTER_IMAGE_TAG and CLUSTER_NEXT_IMAGE_TAG
 * take images built beforehand instead. An image whose new build is the same as the first keeps its
 * first tag, so that a rollout to the new version rolls only what changed.
 */
async function buildAll(images: string[], keyFile: string): Promise<{ tags: Record<string, string>; nextTags: Record<string, string> }> {
  const builds = [
    { tag: process.env.CLUSTER_IMAGE_TAG, fallback: 'cluster-test' },
    { tag: process.env.CLUSTER_NEXT_IMAGE_TAG, fallback: 'cluster-test-next' },
  ];
  const [first, next] = builds.map((build) => build.tag ?? build.fallback) as [string, string];
  if (builds.some((build) => !build.tag)) {
    if (!(await ensureEngine())) throw new Error('the cluster tests build their images with Docker, and no engine answers');
    await ensureBaseImages();
  }
  for (const build of builds) {
    if (build.tag) continue;
    for (const image of images) {
      const started = Date.now();
      // The tag is the deployment id: the same sources build the same image again, from Docker's cache.
      await buildImage(image, build.fallback, { deploymentId: build.fallback, serverActionsKeyFile: keyFile });
      log(`built ${image}:${build.fallback} in ${seconds(started)} s`);
    }
  }
  const id = (image: string, tag: string) => docker(['image', 'inspect', '--format', '{{.Id}}', `${image}:${tag}`]);
  const tags = Object.fromEntries(images.map((image) => [image, first]));
  const nextTags: Record<string, string> = {};
  for (const image of images) nextTags[image] = (await id(image, first)) === (await id(image, next)) ? first : next;
  return { tags, nextTags };
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'guestbook-cluster-run-'));
  const stepsFile = path.join(dir, 'steps.jsonl');
  const started = Date.now();
  const available = await reachable();
  let tags: Record<string, string> = {};
  let nextTags: Record<string, string> = {};
  const serverActionsKey = process.env.CLUSTER_SERVER_ACTIONS_KEY ?? testServerActionsKey;
  if (available) {
    const version = JSON.parse(await kubectl(['version', '--output', 'json'])) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string }; kustomizeVersion?: string };
    log(`context ${(await kubectl(['config', 'current-context'])).trim()}: server ${version.serverVersion.gitVersion}, kubectl ${version.clientVersion.gitVersion}, kustomize ${version.kustomizeVersion ?? '?'}`);
    const loader = await detectLoader();
    const all = [...renderManifests(testPasswords), ...renderManifests(testPasswords, 'overlays/sentinel')].flatMap(podImages);
    const ours = [...new Set(all.map((image) => image.split(':')[0]!).filter(isOurs))].sort();
    const theirs = [...new Set(all.filter((image) => !isOurs(image.split(':')[0]!)))];
    const keyFile = path.join(dir, 'server-actions.key');
    writeFileSync(keyFile, serverActionsKey);
    ({ tags, nextTags } = await buildAll(ours, keyFile));
    const toLoad = [...new Set([...ours.flatMap((image) => [`${image}:${tags[image]}`, `${image}:${nextTags[image]}`]), ...theirs])];
    const loading = Date.now();
    await loader.load(toLoad);
    log(`loaded ${toLoad.join(' ')} with ${loader.describe} in ${seconds(loading)} s`);
    log(`images ready ${seconds(started)} s after the start`);
  }
  project.provide('cluster', { available, tags, nextTags, serverActionsKey, stepsFile, run: `gb-${process.pid}` });
  return () => {
    const steps = readSteps(stepsFile);
    if (steps.length) console.log(`\n[cluster] the run's steps (${seconds(started)} s in all, images included):\n${stepsTable(steps)}\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
