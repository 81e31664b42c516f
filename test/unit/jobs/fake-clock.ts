import type { SchedulerClock } from '../../../src/jobs/index.js';

/** A virtual clock: timers fire in time order when the test advances it; awaits between them. */
export class FakeClock implements SchedulerClock {
  t: number;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #seq = 0;

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = ++this.#seq;
    this.#timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return () => {
      this.#timers = this.#timers.filter((x) => x.id !== id);
    };
  }

  get pending(): number {
    return this.#timers.length;
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await settle();
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
