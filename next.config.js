// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The container ships .next/standalone: the server and only the modules it traced.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
};

module.exports = nextConfig;
