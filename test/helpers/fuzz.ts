/**
 * A small deterministic mutation fuzzer for decoders of untrusted input (CAB, XML, ...). Everything derives
 * from one numeric seed: iteration i uses its own generator seeded from (seed, i), so a failure is replayed
 * with `replayInput(seeds, seed, i)` alone, without running the iterations before it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Rng {
  /** Next uint32. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** sfc32 seeded through splitmix32: fast, well mixed, reproducible across platforms. */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (n) => (n <= 0 ? 0 : Math.floor((next() / 4294967296) * n)),
    chance: (p) => next() / 4294967296 < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor((next() / 4294967296) * items.length)]!,
  };
}

export interface MutateOptions {
  /** Mutations applied per call: 1..maxMutations (default 4). */
  readonly maxMutations?: number;
  /** Output never grows beyond this (default: input length * 2 + 64). */
  readonly maxLength?: number;
  /** Region where header-field tweaks land (default: the first 64 bytes). */
  readonly headerBytes?: number;
  /** Format tokens worth splicing in (e.g. "MSCF", "CK", "<!DOCTYPE", "&amp;"). */
  readonly tokens?: readonly Uint8Array[];
}

const interesting8 = [
  0x00, 0x01, 0x02, 0x03, 0x07, 0x0f, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff,
];
const interesting16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x7fff, 0x8000, 0x8001, 0xfffd, 0xfffe, 0xffff];
const interesting32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

export type MutationKind =
  | 'bitflip'
  | 'byte-interesting'
  | 'byte-random'
  | 'word16'
  | 'word32'
  | 'header-tweak'
  | 'truncate'
  | 'insert'
  | 'delete'
  | 'duplicate'
  | 'token';

const kinds: readonly MutationKind[] = [
  'bitflip',
  'bitflip',
  'byte-interesting',
  'byte-random',
  'word16',
  'word32',
  'header-tweak',
  'header-tweak',
  'truncate',
  'insert',
  'delete',
  'duplicate',
  'token',
];

function applyOne(buf: Buffer, rng: Rng, opts: MutateOptions, maxLength: number): Buffer {
  const kind = rng.pick(kinds);
  const len = buf.length;
  if (len === 0 && kind !== 'insert' && kind !== 'token') return Buffer.from([rng.int(256)]);
  const at = rng.int(len);
  switch (kind) {
    case 'bitflip':
      buf[at]! ^= 1 << rng.int(8);
      return buf;
    case 'byte-interesting':
      buf[at] = rng.pick(interesting8);
      return buf;
    case 'byte-random':
      buf[at] = rng.int(256);
      return buf;
    case 'word16':
      if (at + 2 <= len) buf.writeUInt16LE(rng.pick(interesting16), at);
      return buf;
    case 'word32':
      if (at + 4 <= len) buf.writeUInt32LE(rng.pick(interesting32), at);
      return buf;
    case 'header-tweak': {
      // Nudge a little-endian 16- or 32-bit field near the start (sizes, counts, offsets, flags).
      const region = Math.min(len, opts.headerBytes ?? 64);
      const wide = rng.chance(0.5);
      const p = rng.int(Math.max(1, region - (wide ? 3 : 1)));
      const delta = rng.pick([-256, -16, -2, -1, 1, 2, 16, 256, 4096]);
      if (wide && p + 4 <= len) buf.writeUInt32LE((buf.readUInt32LE(p) + delta) >>> 0, p);
      else if (p + 2 <= len) buf.writeUInt16LE((buf.readUInt16LE(p) + delta) & 0xffff, p);
      return buf;
    }
    case 'truncate':
      return buf.subarray(0, rng.int(len));
    case 'insert': {
      const n = 1 + rng.int(rng.chance(0.8) ? 8 : 512);
      const ins = Buffer.alloc(n);
      const fill = rng.chance(0.5) ? rng.pick(interesting8) : -1;
      for (let i = 0; i < n; i++) ins[i] = fill >= 0 ? fill : rng.int(256);
      const out = Buffer.concat([buf.subarray(0, at), ins, buf.subarray(at)]);
      return out.length > maxLength ? out.subarray(0, maxLength) : out;
    }
    case 'delete': {
      const n = 1 + rng.int(Math.min(len - at, rng.chance(0.8) ? 8 : 512));
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
    }
    case 'duplicate': {
      const from = rng.int(len);
      const n = 1 + rng.int(Math.min(len - from, 1024));
      const out = Buffer.concat([buf.subarray(0, at), buf.subarray(from, from + n), buf.subarray(at)]);
      return out.length > maxLength ? out.subarray(0, maxLength) : out;
    }
    case 'token': {
      const tokens = opts.tokens ?? [];
      if (tokens.length === 0) {
        buf[at]! ^= 0xff;
        return buf;
      }
      const tok = rng.pick(tokens);
      const out = rng.chance(0.5)
        ? Buffer.concat([buf.subarray(0, at), tok, buf.subarray(at)])
        : Buffer.concat([buf.subarray(0, at), tok, buf.subarray(Math.min(len, at + tok.length))]);
      return out.length > maxLength ? out.subarray(0, maxLength) : out;
    }
  }
}

/** Returns a mutated copy of `input` (never modifies it). */
export function mutate(input: Uint8Array, rng: Rng, opts: MutateOptions = {}): Buffer {
  const maxLength = opts.maxLength ?? input.length * 2 + 64;
  let buf = Buffer.from(input);
  const n = 1 + rng.int(opts.maxMutations ?? 4);
  for (let i = 0; i < n; i++) buf = Buffer.from(applyOne(buf, rng, opts, maxLength));
  return buf;
}

export interface FuzzSeed {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The input of iteration `iteration` of a run with `seed`: which seed file, and its mutation. */
export function replayInput(
  seeds: readonly FuzzSeed[],
  seed: number,
  iteration: number,
  opts: MutateOptions = {},
): { seedName: string; input: Buffer } {
  const rng = createRng((Math.imul(seed >>> 0, 0x9e3779b1) ^ iteration) >>> 0);
  const s = seeds[rng.int(seeds.length)]!;
  return { seedName: s.name, input: mutate(s.data, rng, opts) };
}

export interface FuzzLoopOptions {
  readonly seeds: readonly FuzzSeed[];
  readonly iterations: number;
  readonly seed: number;
  readonly mutate?: MutateOptions;
  /**
   * Runs the target on one input. Return a short outcome label (counted in the report); throw to report a
   * property violation. Errors the target is allowed to throw must be caught and labelled by this function.
   */
  readonly run: (input: Buffer) => string;
  /** An iteration slower than this is a failure (a near-hang). Default 2000 ms. */
  readonly maxIterationMs?: number;
  /** Failing inputs are written here as `<seedName>-s<seed>-i<iteration>.bin` for the regression suite. */
  readonly failureDir?: string;
}

export interface FuzzReport {
  readonly iterations: number;
  readonly elapsedMs: number;
  readonly slowestMs: number;
  readonly slowest: { readonly seedName: string; readonly iteration: number };
  readonly outcomes: Readonly<Record<string, number>>;
}

export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly iteration: number,
    readonly seedName: string,
    readonly input: Buffer,
    readonly savedAs: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'FuzzFailure';
  }
}

export function fuzzLoop(opts: FuzzLoopOptions): FuzzReport {
  const outcomes: Record<string, number> = Object.create(null) as Record<string, number>;
  const maxMs = opts.maxIterationMs ?? 2000;
  let slowestMs = 0;
  let slowest = { seedName: '', iteration: -1 };
  const t0 = performance.now();
  for (let i = 0; i < opts.iterations; i++) {
    const { seedName, input } = replayInput(opts.seeds, opts.seed, i, opts.mutate);
    const start = performance.now();
    let failure: unknown;
    let outcome = '';
    try {
      outcome = opts.run(input);
    } catch (e) {
      failure = e;
    }
    const ms = performance.now() - start;
    if (failure === undefined && ms > maxMs)
      failure = new Error(`iteration took ${ms.toFixed(0)} ms (limit ${maxMs})`);
    if (failure !== undefined) {
      let savedAs: string | undefined;
      if (opts.failureDir) {
        mkdirSync(opts.failureDir, { recursive: true });
        savedAs = join(opts.failureDir, `${seedName.replace(/[^\w.-]/g, '_')}-s${opts.seed}-i${i}.bin`);
        writeFileSync(savedAs, input);
      }
      const why = failure instanceof Error ? `${failure.name}: ${failure.message}` : JSON.stringify(failure);
      throw new FuzzFailure(
        `fuzz failure at seed ${opts.seed} iteration ${i} (from ${seedName}, ${input.length} bytes${savedAs ? `, saved as ${savedAs}` : ''}): ${why}`,
        opts.seed,
        i,
        seedName,
        input,
        savedAs,
        failure,
      );
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowest = { seedName, iteration: i };
    }
  }
  return { iterations: opts.iterations, elapsedMs: performance.now() - t0, slowestMs, slowest, outcomes };
}

/**
 * The one fuzz knob. Every fuzz suite under test/fuzz/ has its own default iteration count, sized so that CI
 * runs the letter of its target (100,000 for the codecs) within the time budget; PATCHBAY_FUZZ_ITERATIONS, when
 * set, replaces every suite's count (small for the edit-test loop, `npm run test:quick`; large for a manual
 * soak), and PATCHBAY_FUZZ_SEED every suite's seed.
 */
export function fuzzIterations(suiteDefault: number): number {
  const raw = process.env['PATCHBAY_FUZZ_ITERATIONS'];
  if (raw === undefined || raw === '') return suiteDefault;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`PATCHBAY_FUZZ_ITERATIONS must be a positive integer: ${raw}`);
  return n;
}

/** The seed of a fuzz suite: PATCHBAY_FUZZ_SEED when set, else the suite's own. */
export function fuzzSeed(suiteDefault: number): number {
  const raw = process.env['PATCHBAY_FUZZ_SEED'];
  if (raw === undefined || raw === '') return suiteDefault;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`PATCHBAY_FUZZ_SEED must be an integer: ${raw}`);
  return n;
}
