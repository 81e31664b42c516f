/**
 * A bounded cache keyed by number with a byte budget (targets P5: any body cache is a bounded LRU).
 *
 * Eviction is second-chance (CLOCK over the Map's insertion order), an LRU approximation: a hit only sets a
 * flag, so the hot path (30 hits per SyncUpdates page) never deletes and re-inserts Map entries, which
 * churned the Map's backing store and showed in the profile. When over budget, the oldest entry is evicted
 * unless it was used since it was last looked at, in which case it moves to the young end once.
 */
export class ByteLru<V> {
  readonly #entries = new Map<number, { value: V; bytes: number; used: boolean }>();
  #bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get(key: number): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  set(key: number, value: V): void {
    const bytes = this.sizeOf(value);
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#bytes -= old.bytes;
      this.#entries.delete(key);
    }
    // A value larger than the whole budget is served but never kept (47 MB CBS Core fragments exist).
    if (bytes > this.maxBytes) return;
    this.#entries.set(key, { value, bytes, used: false });
    this.#bytes += bytes;
    // The new entry is never the victim; every other entry gets at most one second chance, so the loop
    // ends within about 3 x size steps (a pass clearing flags, then evictions).
    let budget = 3 * this.#entries.size + 1;
    while (this.#bytes > this.maxBytes && budget-- > 0) {
      const first = this.#entries.entries().next();
      if (first.done === true) break;
      const [k, e] = first.value;
      this.#entries.delete(k);
      if (e.used || k === key) {
        e.used = false;
        this.#entries.set(k, e);
      } else this.#bytes -= e.bytes;
    }
  }

  delete(key: number): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}
