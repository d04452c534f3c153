/**
 * What shared caches may keep, said with standard headers so that the front tier here and a CDN
 * elsewhere keep the same responses (docs/decisions/010-front-tier.md). The newest page changes with
 * every post and is kept for at most a second; an older page changes only by moderation.
 *
 * X-Accel-Expires says the same to nginx at a finer grain: nginx counts a lifetime in whole seconds
 * from the start of the current one, so `s-maxage=1` alone would keep an entry for up to 2 s; "@<this
 * second>" ends it at the next second's start. nginx takes it over Cache-Control and never passes it on.
 */

export type Freshness = 'newest' | 'older' | 'never';

const OLDER_PAGE_SECONDS = 10;

const endOfThisSecond = () => `@${Math.floor(Date.now() / 1000)}`;

export function cacheHeaders(freshness: Freshness): Record<string, string> {
  switch (freshness) {
    case 'newest':
      return { 'Cache-Control': 'public, max-age=0, s-maxage=1, stale-while-revalidate=1', 'X-Accel-Expires': endOfThisSecond() };
    case 'older':
      return {
        'Cache-Control': `public, max-age=0, s-maxage=${OLDER_PAGE_SECONDS}, stale-while-revalidate=${OLDER_PAGE_SECONDS}`,
        'X-Accel-Expires': String(OLDER_PAGE_SECONDS),
      };
    case 'never':
      return { 'Cache-Control': 'private, no-store', 'X-Accel-Expires': '0' };
  }
}

/** A page of the list, API or page alike: the newest one, or an older one by its cursor. */
export const listFreshness = (cursor: string | null | undefined): Freshness => (cursor == null ? 'newest' : 'older');

/** The page's freshness: a page after a form post speaks to one visitor and is never shared. */
export function pageFreshness(query: URLSearchParams): Freshness {
  if (query.has('posted') || query.has('invalid') || query.has('retry')) return 'never';
  return listFreshness(query.get('cursor'));
}
