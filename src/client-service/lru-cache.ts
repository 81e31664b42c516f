/**
 * A bounded LRU keyed by number with a byte budget (targets P5: any body cache is a bounded LRU). Map
 * iteration order is insertion order, so re-inserting on hit makes the first key the least recently used.
 */
export class ByteLru<V> {
  readonly #entries = new Map<number, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get(key: number): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
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
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}
