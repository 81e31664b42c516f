/**
 * Background work that shares the event loop with client requests (cleanup, declines after a sync) yields to
 * it regularly. On SQLite every query runs synchronously inside better-sqlite3, so a loop of awaited queries
 * never lets an I/O callback in: without an explicit macrotask break a scan arriving meanwhile waits for the
 * whole loop. `pace()` breaks (setImmediate) once `sliceMs` of work has run since the last break, so the cost
 * of calling it often is nothing while a request waits at most about one slice (plus one statement).
 */
export type Pacer = () => Promise<void>;

/** Work between two breaks: well under the P2 scan target (250 ms p99, docs/targets.md). */
export const defaultSliceMs = 15;

export function createPacer(sliceMs = defaultSliceMs): Pacer {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
