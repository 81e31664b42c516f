/**
 * Every cabinet under test/fixtures/cab is compared with Debian's cabextract, run here.
 *
 * Rules (see also src/protocol/cab/reader.ts):
 * - cabextract extracts everything (exit 0): we must read the same members in the same order, with the same
 *   sizes, DOS dates and bytes (compared with `cabextract -p`). Names are compared after one normalization:
 *   cabextract prints byte 0x5C ("\") as "/"; names that cabextract rewrites further (".." components, leading
 *   separators, control bytes: dirwalk-vulns.cab) or whose UTF-8 is invalid or holds U+FFFE/U+FFFF (cabextract
 *   substitutes U+FFFD: utf8-stresstest.cab) are compared by position, size and content only.
 * - cabextract fails (non-zero exit): we must throw an AppError. cabextract extracts the good members of a
 *   partially broken cabinet; we reject the whole cabinet if any member is bad.
 * - Quantum folders (mixed.cab, mszip_lzx_qtm.cab): we throw PB_ERR_CAB_UNSUPPORTED; the members of their
 *   other folders, selected with `select`, must match `cabextract -F <name>` (the only LZX verbatim blocks
 *   in the corpus live there).
 * - cabextract scans files for embedded cabinets, so we read with `search: true`; where the only cabinet
 *   starts at offset 0 the default (non-search) read must give the same members.
 * - Split sets: cabextract follows split-1..5 by name from any part; we read the ordered parts and compare
 *   with cabextract run on each part. The libmspack multi_basic_pt* parts name their siblings
 *   "cabd_multi_basic_ptN.cab", so they are copied under those names for cabextract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isAppError } from '../../../src/errors.js';
import { type CabMember, readCabinet, readCabinetDirectory } from '../../../src/protocol/cab/index.js';
import { fixturePath, fixturesRoot } from '../../helpers/fixtures.js';
import { type OracleResult, requireCabextract, runCabextract } from '../../helpers/cabextract.js';

const QUANTUM = new Set(['cab/cabextract/mixed.cab', 'cab/libmspack/mszip_lzx_qtm.cab']);
const LARGE = 'cab/cabextract/large-files-cab.cab'; // compared in large-lzx.test.ts (it also reports MB/s)

function listCabs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listCabs(p));
    else if (e.name.endsWith('.cab')) out.push(p);
  }
  return out.sort();
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What `cabextract -l` prints for this member's name, or null if cabextract rewrites it beyond "\" -> "/". */
function expectedListedName(m: CabMember): Buffer | null {
  const raw = Buffer.from(m.nameBytes);
  if ((m.attributes & 0x80) !== 0) {
    try {
      // cabextract also substitutes the noncharacters U+FFFE and U+FFFF.
      if (/[\uFFFE\uFFFF]/.test(strictUtf8.decode(raw))) return null;
    } catch {
      return null;
    }
  }
  const s = raw.toString('latin1');
  if (
    /(^|[\\/])\.\.([\\/]|$)/.test(s) ||
    s.startsWith('/') ||
    s.startsWith('\\') ||
    raw.some((b) => b < 0x20)
  ) {
    return null;
  }
  return Buffer.from(raw.map((b) => (b === 0x5c ? 0x2f : b)));
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : JSON.stringify(e);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function compareWithOracle(members: readonly CabMember[], oracle: OracleResult, label: string): number {
  assert.equal(members.length, oracle.members.length, `${label}: member count`);
  let namesCompared = 0;
  members.forEach((m, i) => {
    const o = oracle.members[i]!;
    assert.equal(m.size, o.size, `${label}: size of member ${i}`);
    assert.equal(m.data.length, m.size, `${label}: data length of member ${i}`);
    const want = expectedListedName(m);
    if (want !== null) {
      assert.deepEqual(want, o.listedName, `${label}: name of member ${i}`);
      namesCompared++;
    }
    if (m.modified) {
      const d = m.modified;
      const printed = `${pad(d.getUTCDate(), 2)}.${pad(d.getUTCMonth() + 1, 2)}.${pad(d.getUTCFullYear(), 4)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
      assert.equal(printed, o.listedDate, `${label}: date of member ${i}`);
    }
  });
  const ours = Buffer.concat(members.map((m) => m.data));
  assert.equal(ours.length, oracle.data.length, `${label}: total bytes`);
  assert.ok(ours.equals(oracle.data), `${label}: member bytes differ from cabextract -p`);
  return namesCompared;
}

const all = listCabs(join(fixturesRoot, 'cab')).map((p) => relative(fixturesRoot, p));
const splitSet = [1, 2, 3, 4, 5].map((i) => `cab/cabextract/split-${i}.cab`);

void test('cabextract oracle: every fixture cabinet', async (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const tally = { identical: 0, bothRefuse: 0, quantum: 0, namesCompared: 0 };
  for (const rel of all) {
    if (rel === LARGE || splitSet.includes(rel)) continue;
    await t.test(rel, () => {
      const file = fixturePath(rel);
      const buf = readFileSync(file);
      const oracle = runCabextract(file);
      let members: readonly CabMember[] | undefined;
      let error: unknown;
      try {
        members = readCabinet(buf, { search: true }).members;
      } catch (e) {
        error = e;
      }
      if (QUANTUM.has(rel)) {
        assert.ok(oracle.ok, 'cabextract decodes Quantum');
        assert.ok(
          isAppError(error) && error.code === 'PB_ERR_CAB_UNSUPPORTED',
          `expected UNSUPPORTED, got ${describe(error)}`,
        );
        // The other folders (MSZIP, LZX verbatim blocks) must still match cabextract member by member.
        const dir = readCabinetDirectory(buf);
        const isQuantum = (i: number): boolean =>
          (dir.folders[dir.files[i]!.folderIndex]!.compType & 0x0f) === 2;
        const rest = readCabinet(buf, { select: (_n, i) => !isQuantum(i) }).members;
        assert.ok(rest.length > 0 && rest.length < dir.files.length);
        for (const m of rest) compareWithOracle([m], runCabextract(file, m.name), `${rel} ${m.name}`);
        tally.quantum++;
        return;
      }
      if (!oracle.ok) {
        assert.ok(
          error !== undefined,
          `cabextract fails (${oracle.stderr.trim().split('\n')[0]}) but we read it`,
        );
        assert.ok(isAppError(error), `must be an AppError: ${describe(error)}`);
        tally.bothRefuse++;
        return;
      }
      assert.equal(error, undefined, `cabextract reads it but we fail: ${describe(error)}`);
      tally.namesCompared += compareWithOracle(members!, oracle, rel);
      if (buf.readUInt32LE(0) === 0x4643534d && members!.length > 0) {
        // Default (non-search) path, when the only cabinet sits at offset 0.
        try {
          const direct = readCabinet(buf).members;
          if (direct.length === members!.length) compareWithOracle(direct, oracle, `${rel} (offset 0)`);
        } catch (e) {
          assert.ok(isAppError(e));
        }
      }
      tally.identical++;
    });
  }
  t.diagnostic(
    `identical to cabextract: ${tally.identical}; both refuse: ${tally.bothRefuse}; Quantum refused: ${tally.quantum}; names compared: ${tally.namesCompared}`,
  );
  assert.ok(tally.identical >= 30, 'the corpus must keep its good cabinets');
});

void test('cabextract oracle: split-1..5 read as an ordered set match cabextract from every part', (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const parts = splitSet.map((rel) => readFileSync(fixturePath(rel)));
  const members = readCabinet(parts).members;
  assert.equal(members.length, 6);
  for (const rel of splitSet) {
    compareWithOracle(members, runCabextract(fixturePath(rel)), rel);
    // Alone, a part is an incomplete set: refused, never partially read.
    assert.throws(
      () => readCabinet(readFileSync(fixturePath(rel))),
      (e: unknown) => isAppError(e) && e.code === 'PB_ERR_CAB_MALFORMED',
    );
  }
});

void test('cabextract oracle: libmspack multi_basic_pt1..5 as a set', (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const dir = mkdtempSync(join(tmpdir(), 'pb-cab-multi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rels = [1, 2, 3, 4, 5].map((i) => `cab/libmspack/multi_basic_pt${i}.cab`);
  for (const [i, rel] of rels.entries())
    copyFileSync(fixturePath(rel), join(dir, `cabd_multi_basic_pt${i + 1}.cab`));
  const oracle = runCabextract(join(dir, 'cabd_multi_basic_pt1.cab'));
  assert.ok(oracle.ok, oracle.stderr);
  const members = readCabinet(rels.map((rel) => readFileSync(fixturePath(rel)))).members;
  compareWithOracle(members, oracle, 'multi_basic set');
  // Parts out of order are refused.
  assert.throws(
    () => readCabinet(rels.map((rel) => readFileSync(fixturePath(rel))).reverse()),
    (e: unknown) => isAppError(e),
  );
});
