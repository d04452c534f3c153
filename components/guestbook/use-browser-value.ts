import { useSyncExternalStore } from 'react';

const neverChanges = () => () => {};

/**
 * What only the browser knows, without a hydration mismatch: `onServer` in the server's HTML and
 * while React hydrates it, then `inBrowser()`. Rendered in the browser from the start, it is
 * `inBrowser()` at once.
 */
export function useBrowserValue<T>(inBrowser: () => T, onServer: T): T {
  return useSyncExternalStore(neverChanges, inBrowser, () => onServer);
}
