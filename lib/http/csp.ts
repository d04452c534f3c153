/**
 * Where a page rendered for the front tier has its nonce: the front tier replaces it, in the header
 * and in the HTML, with a fresh value for every response, so that a cached page never reuses one
 * (front-tier/nginx.conf, docs/decisions/010-front-tier.md). Letters and digits only, as a nonce
 * may be, and as long as the value that replaces it.
 */
export const NONCE_PLACEHOLDER = 'GuestbookFrontTierNoncePlacehold';

/**
 * The page's Content-Security-Policy: scripts only from here and only with this response's nonce
 * (no inline script without it, no eval in production), nothing framed, no plugins, forms only to us.
 */
export function contentSecurityPolicy(nonce: string, development: boolean): string {
  return [
    "default-src 'self'",
    // React's development build needs eval for its error overlays; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
