/**
 * The CFDATA checksum of MS-CAB: XOR of the data taken as little-endian 32-bit words, the 1-3 trailing bytes
 * folded in big-endian order (as Microsoft's and libmspack's implementations do), then the 4 header bytes
 * (cbData, cbUncomp) folded in with the running value as seed. A stored checksum of 0 means "not set".
 */
export function cabChecksum(data: Uint8Array, start: number, end: number, seed: number): number {
  let sum = seed >>> 0;
  let p = start;
  const words = (end - start) >>> 2;
  for (let n = 0; n < words; n++, p += 4) {
    sum ^= data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
  }
  // The 1-3 trailing bytes: first byte highest (libmspack's fall-through switch).
  let ul = 0;
  const rest = (end - start) & 3;
  for (let k = 0; k < rest; k++) ul = (ul << 8) | data[p + k]!;
  return (sum ^ ul) >>> 0;
}

/** Checksum of one CFDATA block as stored in its `csum` field: payload first, then cbData/cbUncomp. */
export function cfdataChecksum(payload: Uint8Array, cbData: number, cbUncomp: number): number {
  const inner = cabChecksum(payload, 0, payload.length, 0);
  const hdr = new Uint8Array([cbData & 0xff, cbData >>> 8, cbUncomp & 0xff, cbUncomp >>> 8]);
  return cabChecksum(hdr, 0, 4, inner);
}
