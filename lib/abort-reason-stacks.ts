/**
 * Works around a retention chain that fills a frontend's heap under steady load on the page
 * (docs/decisions/009-abort-reason-stacks.md). When a React Flight render completes, React aborts
 * the render's cache controller with an Error that nobody reads. Until its `stack` is read, V8 keeps
 * the error's raw frames, and one of them holds the finished `Immediate` that was running: that
 * Immediate keeps its queue links to the others of its batch, each with another request's
 * AsyncLocalStorage store, its response and its render. Reading `stack` at abort time formats the
 * trace and lets V8 drop the frames, so the chain never forms.
 *
 * Remove this once a Next.js release ships React's fix (facebook/react#37289: abort with a reason
 * that captures no stack).
 */

const patched = Symbol.for('guestbook.abortReasonStacks');

type PatchedAbort = AbortController['abort'] & { [patched]?: AbortController['abort'] };

/** Installs the workaround once per process; returns a function that removes it (for tests). */
export function materializeAbortReasonStacks(): () => void {
  const prototype = AbortController.prototype;
  const current = prototype.abort as PatchedAbort;
  const original = current[patched] ?? current;
  const abort: PatchedAbort = function (this: AbortController, reason?: unknown) {
    if (reason instanceof Error) void reason.stack;
    original.call(this, reason);
  };
  abort[patched] = original;
  prototype.abort = abort;
  return () => {
    prototype.abort = original;
  };
}
