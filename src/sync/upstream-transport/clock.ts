/**
 * Time and randomness as injected ports, so tests can simulate a 24 h upstream outage in milliseconds
 * (targets.md R8) and assert the exact spacing of retries. Only backoff sleeps and circuit-breaker
 * cool-downs use this clock; socket-level timeouts (connect, headers, body idle) stay on real timers
 * because they measure real network behaviour.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Returns a number in [0, 1). */
export type RandomSource = () => number;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const systemRandom: RandomSource = Math.random;
