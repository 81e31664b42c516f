import { spawnSync } from 'node:child_process';

/**
 * Debian's cabextract is the oracle for every CAB test. It is installed by scripts/test-all.sh; a missing
 * cabextract fails the test (never a silent skip). Locally, PATCHBAY_ALLOW_NO_CABEXTRACT=1 turns the failure
 * into a visible skip, and is ignored when CI is set.
 */
export function cabextractAvailable(): boolean {
  const r = spawnSync('cabextract', ['--version'], { encoding: 'latin1' });
  return r.status === 0;
}

/** Returns a skip reason if cabextract may be skipped, throws if it is missing and must not be. */
export function requireCabextract(): string | undefined {
  if (cabextractAvailable()) return undefined;
  if (process.env.PATCHBAY_ALLOW_NO_CABEXTRACT === '1' && !process.env.CI) {
    return 'cabextract missing (PATCHBAY_ALLOW_NO_CABEXTRACT=1)';
  }
  throw new Error('cabextract is not installed: it is the CAB test oracle (apt-get install cabextract)');
}

export interface OracleMember {
  readonly size: number;
  /** The name as `cabextract -l` prints it (raw bytes; cabextract sanitizes path syntax). */
  readonly listedName: Buffer;
  /** "dd.mm.yyyy HH:MM:SS" as printed. */
  readonly listedDate: string;
}

export interface OracleResult {
  /** `cabextract -p` exited 0 (every member extracted, checksums OK). */
  readonly ok: boolean;
  readonly members: readonly OracleMember[];
  /** Every member's bytes concatenated in listing order (`cabextract -p`). */
  readonly data: Buffer;
  readonly stderr: string;
}

const lineRe = /^ *(\d+) \| (\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d) \| (.*)$/;

/**
 * Runs `cabextract -l` and `cabextract -p` on a cabinet file (cabextract follows split sets by name),
 * optionally with `-F pattern` (only members whose name matches).
 */
export function runCabextract(file: string, filter?: string): OracleResult {
  const f = filter === undefined ? [] : ['-F', filter];
  const list = spawnSync('cabextract', ['-l', ...f, file], { maxBuffer: 64 * 1024 * 1024 });
  const members: OracleMember[] = [];
  for (const line of list.stdout.toString('latin1').split('\n')) {
    const m = lineRe.exec(line);
    if (m) members.push({ size: Number(m[1]), listedDate: m[2]!, listedName: Buffer.from(m[3]!, 'latin1') });
  }
  const pipe = spawnSync('cabextract', ['-q', '-p', ...f, file], { maxBuffer: 256 * 1024 * 1024 });
  return {
    ok: pipe.status === 0,
    members,
    data: pipe.stdout,
    stderr: pipe.stderr.toString('utf8') + list.stderr.toString('utf8'),
  };
}

/** Same as runCabextract, plus `-t` (test mode: decode and verify checksums without writing). */
export function cabextractTest(file: string): { ok: boolean; output: string } {
  const r = spawnSync('cabextract', ['-t', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}
