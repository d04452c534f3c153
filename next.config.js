// @ts-check
const createNextIntlPlugin = require('next-intl/plugin');

// The interface's language per request comes from i18n/request.ts (cookie, then Accept-Language).
const withNextIntl = createNextIntlPlugin('./i18n/request.ts');

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The container ships .next/standalone: the server and only the modules it traced.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
};

module.exports = withNextIntl(nextConfig);
