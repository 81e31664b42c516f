import { AppError } from '../../errors.js';

/**
 * GUIDs held as four uint32 words instead of JS strings: a 36-char string costs ~56 bytes plus a Map entry,
 * which alone would blow the 100 bytes/revision budget (targets.md P5).
 */
const hex = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) hex[48 + i] = i;
for (let i = 0; i < 6; i++) {
  hex[65 + i] = 10 + i;
  hex[97 + i] = 10 + i;
}

/** Writes the GUID's 128 bits into `out[at..at+3]`; false when `guid` is not an 8-4-4-4-12 GUID. */
export function writeGuidWords(guid: string, out: Uint32Array, at: number): boolean {
  if (guid.length !== 36) return false;
  let word = 0;
  let nibbles = 0;
  let w = at;
  for (let i = 0; i < 36; i++) {
    const c = guid.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
      continue;
    }
    const v = c < 128 ? hex[c]! : -1;
    if (v < 0) return false;
    word = (word << 4) | v;
    if (++nibbles === 8) {
      out[w++] = word >>> 0;
      word = 0;
      nibbles = 0;
    }
  }
  return true;
}

export function guidWordsToString(words: Uint32Array, at: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += words[at + i]!.toString(16).padStart(8, '0');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function compareGuidWords(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ai + i]!;
    const y = b[bi + i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function parseGuidWordsOrThrow(guid: string, out: Uint32Array, at: number, what: string): void {
  if (!writeGuidWords(guid, out, at))
    throw new AppError('PB_ERR_CATALOG_INPUT', `${what}: not a GUID: ${JSON.stringify(guid.slice(0, 64))}`);
}
