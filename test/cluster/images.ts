import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { docker, dockerCli } from '../container/docker';
import { kubectl } from './kube';

/**
 * The images of a run: built from the Dockerfile (every image of k8s/ named guestbook or
 * guestbook-<target> is that target of it), then made available to the cluster by the loader that
 * fits it.
 */

const exec = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '../..');
const proxyVariables = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** The Dockerfile's target for one of our images, e.g. guestbook-front-tier → front-tier; guestbook → the default. */
export function targetOf(image: string): string | undefined {
  if (image === 'guestbook') return undefined;
  const target = image.replace(/^guestbook-/, '');
  if (!new RegExp(`^FROM .* AS ${target}$`, 'm').test(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'))) {
    throw new Error(`k8s/ names the image ${image}, but the Dockerfile has no target ${target}`);
  }
  return target;
}

/** Whether an image is built here (ours), or someone else's (redis), loaded as the local engine has it. */
export const isOurs = (image: string) => image === 'guestbook' || image.startsWith('guestbook-');

export interface BuildOptions {
  /** The build's Next.js deployment id (docs/decisions/106). */
  deploymentId: string;
  /** A file that holds the server actions' key. */
  serverActionsKeyFile: string;
}

/**
 * Builds one of our images under `flock /work/locks/docker.lock` where that lock exists (machines
 * shared by several builders), else directly.
 */
export async function buildImage(image: string, tag: string, { deploymentId, serverActionsKeyFile }: BuildOptions): Promise<void> {
  const target = targetOf(image);
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  const args = [
    'build', '--quiet', '--tag', `${image}:${tag}`,
    ...(target ? ['--target', target] : []),
    '--build-arg', `DEPLOYMENT_ID=${deploymentId}`,
    '--secret', `id=server_actions_key,src=${serverActionsKeyFile}`,
    ...(existsSync(ca) ? ['--secret', `id=build_ca,src=${ca}`] : []),
    ...proxyVariables.filter((name) => process.env[name]).flatMap((name) => ['--build-arg', name]),
    repoRoot,
  ];
  const lock = process.env.DOCKER_LOCK ?? '/work/locks/docker.lock';
  const [command, ...rest] = existsSync(lock) ? ['flock', lock, dockerCli, ...args] : [dockerCli, ...args];
  try {
    await exec(command!, rest, { env: { ...process.env, DOCKER_BUILDKIT: '1' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`building ${image}:${tag} failed:\n${((error as { stderr?: string }).stderr ?? String(error)).slice(-3000)}`);
  }
}

/** The base images that the Dockerfile and k8s/ use, built from Debian's packages where no registry is reachable. */
export async function ensureBaseImages(): Promise<void> {
  await exec('bash', [path.join(repoRoot, 'scripts/docker/base-images.sh')], { maxBuffer: 16 * 1024 * 1024 });
}

export type LoaderKind = 'local' | 'kind' | 'minikube' | 'k3d' | 'registry' | 'none';

export interface Loader {
  kind: LoaderKind;
  describe: string;
  /** Makes these images (name:tag) available to the cluster's nodes. */
  load: (images: string[]) => Promise<void>;
  /** Where the manifests must point for an image of ours (a registry's name), else the name itself. */
  nameFor: (image: string) => string;
}

/** shared/cluster's load-image.sh: where LOCAL_CLUSTER_DIR says, or beside the repository (../shared/cluster). */
function localLoadScript(): string | undefined {
  const candidates = [process.env.LOCAL_CLUSTER_DIR, path.join(repoRoot, '../shared/cluster'), path.join(repoRoot, '../../shared/cluster')];
  return candidates.filter((dir): dir is string => Boolean(dir)).map((dir) => path.join(dir, 'load-image.sh')).find((file) => existsSync(file));
}

const run = async (command: string, args: string[]) => {
  try {
    await exec(command, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
};

/**
 * load-image.sh checks its import with `ctr images ls -q | grep -q` under `pipefail`: when grep finds
 * the name and exits before ctr has written every line, ctr dies of SIGPIPE and the script reports a
 * successful import as missing (2–4 calls in 100 here, more on a busy machine; twice in a row in a CI
 * run). An import is idempotent, so it is tried up to four times.
 */
async function withRetries(load: () => Promise<void>, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (error) {
      if (attempt === attempts) throw error;
    }
  }
}

/**
 * The loader for the cluster of the current context: CLUSTER_LOADER chooses (local, kind, minikube, k3d,
 * registry with CLUSTER_REGISTRY=host:port, none for images the nodes already have); else it follows
 * from the context's name (kind-*, minikube, k3d-*) or from shared/cluster's API server address.
 */
export async function detectLoader(): Promise<Loader> {
  const context = (await kubectl(['config', 'current-context'])).trim();
  const server = (await kubectl(['config', 'view', '--minify', '--output', 'jsonpath={.clusters[0].cluster.server}'])).trim();
  const script = localLoadScript();
  const chosen = (process.env.CLUSTER_LOADER as LoaderKind | undefined) ??
    (context.startsWith('kind-') ? 'kind'
      : context === 'minikube' ? 'minikube'
      : context.startsWith('k3d-') ? 'k3d'
      : process.env.CLUSTER_REGISTRY ? 'registry'
      : script && server === 'https://10.244.0.1:6443' ? 'local'
      : undefined);
  const same = (image: string) => image;
  switch (chosen) {
    case 'local':
      if (!script) throw new Error('CLUSTER_LOADER=local, but no shared/cluster/load-image.sh was found: set LOCAL_CLUSTER_DIR');
      return {
        kind: 'local',
        describe: `${script} (context ${context})`,
        load: async (images) => {
          for (const image of images) await withRetries(() => run(script, [image]));
        },
        nameFor: same,
      };
    case 'kind': {
      const name = process.env.KIND_CLUSTER ?? context.replace(/^kind-/, '');
      return { kind: 'kind', describe: `kind load docker-image --name ${name}`, load: (images) => run('kind', ['load', 'docker-image', '--name', name, ...images]), nameFor: same };
    }
    case 'minikube':
      return {
        kind: 'minikube',
        describe: `minikube image load (profile ${context})`,
        load: async (images) => {
          for (const image of images) await run('minikube', ['image', 'load', '--profile', context, image]);
        },
        nameFor: same,
      };
    case 'k3d': {
      const name = process.env.K3D_CLUSTER ?? context.replace(/^k3d-/, '');
      return { kind: 'k3d', describe: `k3d image import --cluster ${name}`, load: (images) => run('k3d', ['image', 'import', '--cluster', name, ...images]), nameFor: same };
    }
    case 'registry': {
      const registry = process.env.CLUSTER_REGISTRY;
      if (!registry) throw new Error('CLUSTER_LOADER=registry needs CLUSTER_REGISTRY=host:port');
      return {
        kind: 'registry',
        describe: `docker push to ${registry}`,
        load: async (images) => {
          for (const image of images) {
            await docker(['tag', image, `${registry}/${image}`]);
            await docker(['push', `${registry}/${image}`]);
          }
        },
        nameFor: (image) => `${registry}/${image}`,
      };
    }
    case 'none':
      return { kind: 'none', describe: 'none (CLUSTER_LOADER=none: the nodes have the images)', load: async () => {}, nameFor: same };
    default:
      throw new Error(
        `no way known to bring images into the cluster of context ${context} (${server}): set CLUSTER_LOADER to local, kind, minikube, k3d, registry (with CLUSTER_REGISTRY) or none`,
      );
  }
}
