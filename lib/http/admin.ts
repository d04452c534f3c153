import { createHash, timingSafeEqual } from 'node:crypto';
import { getConfig } from '@/lib/config';
import { AppError } from './problem';
import { methodNotAllowedError } from './route';

// Digests have one length whatever the token, so the comparison takes the same time for every guess.
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Moderation needs `Authorization: Bearer <GUESTBOOK_ADMIN_TOKEN>`. Without that variable moderation
 * is off and the method is simply not available.
 */
export function requireAdmin(request: Request, allowedWithout: string[]): void {
  const token = getConfig().adminToken;
  if (!token) {
    throw methodNotAllowedError(allowedWithout, 'Moderation is turned off on this server.');
  }
  const presented = request.headers.get('authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? '';
  if (!timingSafeEqual(digest(presented), digest(token))) {
    throw new AppError('unauthorized', 'A valid moderator token is required: Authorization: Bearer <token>.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="guestbook"' },
    });
  }
}
