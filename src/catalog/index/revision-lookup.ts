/**
 * Revision id (int32 from the storage allocator) -> dense revision index. A direct table when the ids are
 * dense enough (<= 4 slots per revision), otherwise an open-addressing hash table of 2-4 slots per revision:
 * both are a few bytes per revision and O(1) per lookup, against ~100 bytes and a hash per key for a Map.
 */
export interface RevisionLookup {
  /** Dense index or -1. */
  find(revisionId: number): number;
  readonly bytes: number;
}

export function buildRevisionLookup(revisionIds: Int32Array): RevisionLookup {
  const n = revisionIds.length;
  let min = 0x7fffffff;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const id = revisionIds[i]!;
    if (id < min) min = id;
    if (id > max) max = id;
  }
  if (n === 0) return { find: () => -1, bytes: 0 };
  const span = max - min + 1;
  if (span <= 4 * n) {
    const table = new Int32Array(span).fill(-1);
    for (let i = 0; i < n; i++) table[revisionIds[i]! - min] = i;
    return {
      find: (id) => {
        const k = id - min;
        return k >= 0 && k < span ? table[k]! : -1;
      },
      bytes: table.byteLength,
    };
  }
  let bits = 1;
  while (1 << bits < 2 * n) bits++;
  const mask = (1 << bits) - 1;
  const shift = 32 - bits;
  const slots = new Int32Array(1 << bits).fill(-1);
  for (let i = 0; i < n; i++) {
    let h = Math.imul(revisionIds[i]!, 0x9e3779b1) >>> shift;
    while (slots[h] !== -1) h = (h + 1) & mask;
    slots[h] = i;
  }
  return {
    find: (id) => {
      let h = Math.imul(id, 0x9e3779b1) >>> shift;
      for (;;) {
        const s = slots[h]!;
        if (s === -1) return -1;
        if (revisionIds[s] === id) return s;
        h = (h + 1) & mask;
      }
    },
    bytes: slots.byteLength,
  };
}
