import { AsyncLocalStorage } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { materializeAbortReasonStacks } from './abort-reason-stacks';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BATCH = 200;
const nextMacrotask = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * The mechanism of docs/decisions/009 without React: a batch of immediates, each run with a store of
 * its own (as every request's render is), and one abort reason kept, as React's cache controller
 * keeps the one it aborted with. Returns how many of the batch's stores are still alive after a GC.
 */
async function storesKeptByOneAbortReason(): Promise<number> {
  const storage = new AsyncLocalStorage<{ request: number[] }>();
  const stores: WeakRef<object>[] = [];
  let kept: unknown;
  for (let i = 0; i < BATCH; i++) {
    const store = { request: new Array<number>(1_000).fill(i) };
    stores.push(new WeakRef(store));
    storage.run(store, () =>
      setImmediate(() => {
        const controller = new AbortController();
        controller.abort(new Error('This render completed successfully.'));
        if (i === BATCH - 1) kept = controller.signal.reason;
      }),
    );
  }
  await nextMacrotask();
  gc();
  expect(kept).toBeInstanceOf(Error);
  return stores.filter((store) => store.deref() !== undefined).length;
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe('materializeAbortReasonStacks', () => {
  it('without it, one unread abort reason keeps a whole batch of requests alive (the leak)', async () => {
    expect(await storesKeptByOneAbortReason()).toBeGreaterThan(BATCH / 2);
  });

  it('with it, the batch is collected', async () => {
    restore = materializeAbortReasonStacks();
    expect(await storesKeptByOneAbortReason()).toBeLessThan(5);
  });

  it('keeps abort() itself unchanged: the reason, the event, and installing twice', () => {
    restore = materializeAbortReasonStacks();
    materializeAbortReasonStacks();
    const controller = new AbortController();
    const reasons: unknown[] = [];
    controller.signal.addEventListener('abort', () => reasons.push(controller.signal.reason));
    const reason = new Error('done');
    controller.abort(reason);
    controller.abort(new Error('ignored: already aborted'));
    expect(reasons).toEqual([reason]);
    expect(reason.stack).toContain('done');
    const plain = new AbortController();
    plain.abort();
    expect(plain.signal.reason).toBeInstanceOf(DOMException);
  });
});
