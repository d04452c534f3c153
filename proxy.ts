import { NextResponse, type NextRequest } from 'next/server';
import { getConfig } from '@/lib/config';
import { cacheHeaders, pageFreshness } from '@/lib/http/caching';
import { contentSecurityPolicy, NONCE_PLACEHOLDER } from '@/lib/http/csp';

const freshNonce = () => Buffer.from(crypto.randomUUID()).toString('base64');

/**
 * Gives every page its nonce and its Content-Security-Policy; Next.js reads the nonce from the
 * request's policy and puts it on the scripts that it renders. Behind the front tier the nonce is a
 * placeholder that the front tier replaces in every response, so the page may be cached there for
 * as long as cacheHeaders allows; alone, every render gets a fresh nonce and nothing is cached.
 */
export function proxy(request: NextRequest) {
  const { frontTier } = getConfig();
  const policy = contentSecurityPolicy(frontTier ? NONCE_PLACEHOLDER : freshNonce(), process.env.NODE_ENV === 'development');
  const headers = new Headers(request.headers);
  headers.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', policy);
  if (frontTier) {
    // No Vary for the language: Next.js replaces the page's Vary with its own, so the front tier keys
    // its cache on the language's inputs itself (decision 010).
    for (const [name, value] of Object.entries(cacheHeaders(pageFreshness(request.nextUrl.searchParams)))) response.headers.set(name, value);
  }
  return response;
}

export const config = {
  // Pages only: the API answers JSON, and static files carry no script of ours.
  matcher: [
    {
      source: '/((?!api/|_next/static|_next/image|icon.svg).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
