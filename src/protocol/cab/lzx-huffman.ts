/** Longest Huffman code LZX allows. */
export const HUFF_MAXBITS = 16;

/**
 * Builds a canonical Huffman decode table in libmspack's layout (readhuff.h make_decode_table, MSB-first):
 * codes of up to `tableBits` bits are looked up directly from the next `tableBits` input bits; longer codes
 * continue as a binary tree stored after the direct part, one bit per step (entries >= nsyms are tree nodes).
 * Returns false if the lengths do not describe a complete prefix code (over-subscribed or incomplete).
 * `table` must hold (1 << tableBits) + nsyms * 2 entries.
 */
export function makeDecodeTable(
  nsyms: number,
  tableBits: number,
  lens: Uint8Array,
  table: Uint16Array,
): boolean {
  let pos = 0;
  let tableMask = 1 << tableBits;
  let bitMask = tableMask >>> 1;

  for (let bitNum = 1; bitNum <= tableBits; bitNum++) {
    for (let sym = 0; sym < nsyms; sym++) {
      if (lens[sym] !== bitNum) continue;
      const leaf = pos;
      pos += bitMask;
      if (pos > tableMask) return false; // over-subscribed
      table.fill(sym, leaf, pos);
    }
    bitMask >>>= 1;
  }
  if (pos === tableMask) return true;

  table.fill(0xffff, pos, tableMask);
  let nextSymbol = tableMask >>> 1 < nsyms ? nsyms : tableMask >>> 1;

  // Room for codes to grow by up to 16 more bits: positions are scaled by 2^16 (at most 2^28, int-safe).
  pos <<= 16;
  tableMask <<= 16;
  bitMask = 1 << 15;
  for (let bitNum = tableBits + 1; bitNum <= HUFF_MAXBITS; bitNum++) {
    for (let sym = 0; sym < nsyms; sym++) {
      if (lens[sym] !== bitNum) continue;
      if (pos >= tableMask) return false;
      let leaf = pos >>> 16;
      for (let fill = 0; fill < bitNum - tableBits; fill++) {
        if (table[leaf] === 0xffff) {
          if ((nextSymbol << 1) + 1 >= table.length) return false;
          table[nextSymbol << 1] = 0xffff;
          table[(nextSymbol << 1) + 1] = 0xffff;
          table[leaf] = nextSymbol++;
        }
        leaf = table[leaf]! << 1;
        if (((pos >>> (15 - fill)) & 1) !== 0) leaf++;
      }
      table[leaf] = sym;
      pos += bitMask;
    }
    bitMask >>>= 1;
  }
  return pos === tableMask;
}
