import 'server-only';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { getConfig } from './config';
import { clientAddress } from './http/client-address';
import { AppError } from './http/problem';
import { metrics } from './metrics';
import { isUnavailable, redisClient, storageUnavailable } from './redis';

/**
 * Posts per client per minute, counted in Redis on the master so that the limit holds across every
 * frontend process and pod. Answers with the RateLimit headers of the IETF draft either way.
 */

const WINDOW_SECONDS = 60;
let limiter: RateLimiterRedis | undefined;

function writeLimiter(points: number): RateLimiterRedis {
  limiter ??= new RateLimiterRedis({
    storeClient: redisClient('master'),
    keyPrefix: 'guestbook:ratelimit',
    points,
    duration: WINDOW_SECONDS,
  });
  return limiter;
}

function headers(points: number, state: RateLimiterRes): Record<string, string> {
  const reset = Math.ceil(state.msBeforeNext / 1000);
  return {
    'RateLimit-Policy': `${points};w=${WINDOW_SECONDS}`,
    RateLimit: `limit=${points}, remaining=${state.remainingPoints}, reset=${reset}`,
  };
}

/** Counts one write for the request's client; throws a 429 when it has used up its minute. */
export async function limitWrites(request: Request): Promise<Record<string, string>> {
  const { rateLimitWritesPerMinute: points, trustProxyHops } = getConfig();
  if (points === 0) return {};
  try {
    return headers(points, await writeLimiter(points).consume(clientAddress(request.headers, trustProxyHops)));
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      metrics().shed.inc({ reason: 'rate_limited' });
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError('rate_limited', `Too many posts: at most ${points} a minute. Try again in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
        headers: headers(points, rejection),
      });
    }
    throw isUnavailable(rejection) ? storageUnavailable('master', rejection) : rejection;
  }
}
