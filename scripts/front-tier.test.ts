import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFrontTierConfig, type FrontTierOptions } from './front-tier';

const options = { listen: '0.0.0.0:8080', statusListen: '127.0.0.1:8081', upstreams: ['127.0.0.1:3000'], dir: '/run/front-tier', staticDir: '/srv/static' } satisfies FrontTierOptions;

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
    const rendered = execFileSync(
      path.resolve(import.meta.dirname, '../node_modules/.bin/tsx'),
      [path.join(import.meta.dirname, 'front-tier.ts'), 'render', '--listen', options.listen, '--status', options.statusListen, '--upstream', options.upstreams[0]!, '--dir', options.dir, '--static-dir', options.staticDir, '--workers', '2'],
      { encoding: 'utf8' },
    );
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
});
