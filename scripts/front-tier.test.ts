import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueTimeoutFromEnv, renderFrontTierConfig, renderQueueConfig } from './front-tier';

const queueListen = { api: '127.0.0.1:8082', pages: '127.0.0.1:8083', health: '127.0.0.1:8084', metrics: '0.0.0.0:8405' };
const options = {
  listen: '0.0.0.0:8080',
  statusListen: '127.0.0.1:8081',
  queueListen,
  upstreams: ['127.0.0.1:3000'],
  dir: '/run/front-tier',
  staticDir: '/srv/static',
  errorsDir: '/srv/errors',
};
const tsx = (...args: string[]) =>
  execFileSync(path.resolve(import.meta.dirname, '../node_modules/.bin/tsx'), [path.join(import.meta.dirname, 'front-tier.ts'), ...args], { encoding: 'utf8' });

describe('the front tier configuration', () => {
  it('names no user for the workers unless told to, whoever renders it (a build as root must not make them root)', () => {
    expect(renderFrontTierConfig(options)).not.toMatch(/^\s*user /m);
    expect(renderFrontTierConfig({ ...options, user: 'root' })).toMatch(/^user root;$/m);
  });

  it("keeps everything nginx writes directly in the one folder, so that an empty emptyDir is enough", () => {
    const config = renderFrontTierConfig(options);
    const written = [...config.matchAll(/^\s*(?:pid|\w+_temp_path|proxy_cache_path) (\S+?);?(?:\s|$)/gm)].map((match) => match[1]!);
    expect(written.length).toBeGreaterThanOrEqual(7);
    for (const file of written) expect(path.dirname(file), file).toBe(options.dir);
  });

  it('is what the command line renders for the image, flag by flag', () => {
    const rendered = tsx('render', '--listen', options.listen, '--status', options.statusListen, '--queue-api', queueListen.api, '--queue-pages', queueListen.pages,
      '--upstream', options.upstreams[0]!, '--dir', options.dir, '--static-dir', options.staticDir, '--errors-dir', options.errorsDir, '--workers', '2');
    expect(rendered).toBe(renderFrontTierConfig({ ...options, workers: 2 }));
  });

  it("serves nginx's figures (stub_status) on loopback only, never on the public port", () => {
    const config = renderFrontTierConfig(options);
    const servers = config.split(/^    server \{$/m).slice(1);
    const status = servers.filter((server) => server.includes('stub_status;'));
    expect(status).toHaveLength(1);
    expect(status[0]).toMatch(new RegExp(`^\\s*listen ${options.statusListen};$`, 'm'));
    expect(() => renderFrontTierConfig({ ...options, statusListen: '0.0.0.0:8081' })).toThrow(/loopback/);
  });

  it('keeps the admission queue\'s doors on loopback: only nginx reaches them', () => {
    expect(() => renderFrontTierConfig({ ...options, queueListen: { ...queueListen, api: '0.0.0.0:8082' } })).toThrow(/loopback/);
    expect(() => renderQueueConfig({ ...options, queueListen: { ...queueListen, pages: '0.0.0.0:8083' } })).toThrow(/loopback/);
  });
});

describe('the admission queue configuration', () => {
  it('gives each Next.js process its slots, the deadline and a bounded queue', () => {
    const config = renderQueueConfig({ ...options, upstreams: ['127.0.0.1:3000', '127.0.0.1:3001'], queue: { slotsPerServer: 5, timeoutMs: 1_500, maxQueue: 300 } });
    expect(config).toMatch(/^\s*timeout queue 1500ms$/m);
    expect(config.match(/^\s*server next\d \S+ maxconn 5$/gm)).toHaveLength(2);
    expect(config.match(/queue\(next\) ge 300 \}/g)).toHaveLength(2);
  });

  it('is what the command line renders for the image, with the deadline from FRONT_TIER_QUEUE_TIMEOUT_MS', () => {
    const args = ['render-queue', '--queue-api', queueListen.api, '--queue-pages', queueListen.pages, '--queue-health', queueListen.health,
      '--queue-metrics', queueListen.metrics, '--upstream', options.upstreams[0]!, '--errors-dir', options.errorsDir];
    process.env.FRONT_TIER_QUEUE_TIMEOUT_MS = '1200';
    try {
      expect(tsx(...args)).toBe(renderQueueConfig({ ...options, queue: { timeoutMs: 1_200 } }));
    } finally {
      delete process.env.FRONT_TIER_QUEUE_TIMEOUT_MS;
    }
  });

  it('takes its deadline from FRONT_TIER_QUEUE_TIMEOUT_MS, 2 s by default, and names the variable when it is wrong', () => {
    expect(queueTimeoutFromEnv({})).toBe(2_000);
    expect(queueTimeoutFromEnv({ FRONT_TIER_QUEUE_TIMEOUT_MS: '' })).toBe(2_000);
    expect(queueTimeoutFromEnv({ FRONT_TIER_QUEUE_TIMEOUT_MS: '750' })).toBe(750);
    expect(() => queueTimeoutFromEnv({ FRONT_TIER_QUEUE_TIMEOUT_MS: '2s' })).toThrow(/FRONT_TIER_QUEUE_TIMEOUT_MS must be a whole number of milliseconds/);
    expect(() => queueTimeoutFromEnv({ FRONT_TIER_QUEUE_TIMEOUT_MS: '10' })).toThrow(/FRONT_TIER_QUEUE_TIMEOUT_MS must be at least 100/);
  });
});
