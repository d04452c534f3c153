// @ts-check
const createNextIntlPlugin = require('next-intl/plugin');

// The interface's language per request comes from i18n/request.ts (cookie, then Accept-Language).
// The messages are compiled at build time: no page parses an ICU message (the form's character
// counts did on every render), and the browser gets no ICU parser.
const withNextIntl = createNextIntlPlugin({
  requestConfig: './i18n/request.ts',
  experimental: { messages: { path: './messages', format: 'json', locales: 'infer', precompile: true } },
});

// For every response, pages and API alike; the pages' Content-Security-Policy comes from proxy.ts.
const SECURITY_HEADERS = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), interest-cohort=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The container ships .next/standalone: the server and only the modules it traced.
  output: 'standalone',
  // Loaded by Node at run time rather than bundled: the ioredis instrumentation patches ioredis as
  // Node loads it (a bundled copy would escape it), and the OpenTelemetry SDK is loaded only when
  // tracing is on (lib/startup.ts). The standalone output traces and copies them either way.
  serverExternalPackages: [
    'ioredis',
    '@opentelemetry/api',
    '@opentelemetry/core',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-trace-node',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/exporter-trace-otlp-proto',
    '@opentelemetry/instrumentation',
    '@opentelemetry/instrumentation-ioredis',
  ],
  // A rollout's old and new pods serve one visitor in turns: with an id per build, a page of the old
  // build that meets a new server reloads itself instead of mixing the two (docs/decisions/106). The
  // Dockerfile takes it as the build argument DEPLOYMENT_ID; unset, Next.js goes without.
  deploymentId: process.env.NEXT_DEPLOYMENT_ID || undefined,
  poweredByHeader: false,
  // The front tier compresses (it must: it puts a fresh nonce into each page first), and asks Next.js
  // for identity. Left on, Next.js adds `Vary: Accept-Encoding` to every response, and nginx keeps a
  // copy of each page per Accept-Encoding that visitors send, each rendered on its own (issue 15).
  compress: false,
  // No `Link` preload header from React: whether a render sends one depends on its timing, and a
  // cached page whose headers change length makes nginx's other worker miss it and render again (one
  // render a visitor for that moment; issue 15). It also carried the nonce placeholder, which the
  // front tier replaces in the body only. The page's <head> links the same stylesheet.
  reactMaxHeadersLength: 0,
  reactStrictMode: true,
  async headers() {
    return [{ source: '/:path*', headers: SECURITY_HEADERS }];
  },
};

module.exports = withNextIntl(nextConfig);
