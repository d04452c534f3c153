import { AppError } from './problem';

/**
 * Refuses writes that a browser sends on behalf of another site (a form on evil.example posting to
 * us). Browsers say where a request comes from in Sec-Fetch-Site and Origin; programs such as curl
 * send neither and are not affected.
 */
export function assertSameOrigin(request: Request, trustedHops: number): void {
  const refuse = () => new AppError('forbidden', 'Cross-site writes are not accepted: post from the guestbook page itself.');
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') throw refuse();
  const origin = request.headers.get('origin');
  if (origin === null) return;
  const forwardedHost = trustedHops > 0 ? request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const host = forwardedHost || request.headers.get('host') || new URL(request.url).host;
  if (!URL.canParse(origin) || new URL(origin).host !== host) throw refuse();
}
