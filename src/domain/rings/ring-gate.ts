/**
 * The health gate of a rollout ring (docs/rings.md "Gates"): pure, from figures the storage counted. A gate
 * says `fail` (pause the rollout, with the reasons), `wait` (hold: the soak is not over or too few computers
 * reported) or `pass` (promote to the next ring).
 *
 * What decides when:
 * - uninstall events and detection failures are evidence at any time: one over the limit fails the gate even
 *   mid-soak, so a bad update stops as early as the evidence allows;
 * - the install-failure rate decides once `minReported` outcomes are in (a first failure out of one report is
 *   no rate), and at the end of the soak;
 * - "stopped scanning" is only judged at the end of the soak: before that, a computer may simply not have
 *   scanned yet since the ring started.
 */

export interface GateThresholds {
  readonly minReported: number;
  readonly maxFailurePercent: number;
  readonly maxFaultPercent: number;
  readonly maxUninstalls: number;
}

/** What storage counted for one update in one ring since the stage started. */
export interface GateFigures {
  /** Computers in the ring. */
  readonly computers: number;
  /** Install outcomes: installed (or installed, reboot pending) and failed. */
  readonly installed: number;
  readonly failed: number;
  /** Computers that reported a detection failure (event 148). */
  readonly faulted: number;
  /** Computers that reported a detection failure or stopped scanning (both counted once). */
  readonly faultedOrStopped: number;
  /** Uninstall-succeeded events of the update (222, 224). */
  readonly uninstalls: number;
}

export type GateVerdict = 'pass' | 'wait' | 'fail';

export interface GateCheck {
  readonly name: 'reported' | 'failurePercent' | 'faultPercent' | 'uninstalls';
  readonly value: number;
  readonly threshold: number;
  /** The value is within the threshold. */
  readonly ok: boolean;
  /** The value counts now (a rate before enough reports, or stopped scanning before the soak's end, does not). */
  readonly decisive: boolean;
}

export interface GateResult {
  readonly verdict: GateVerdict;
  readonly reported: number;
  readonly failurePercent: number;
  readonly faultPercent: number;
  readonly checks: readonly GateCheck[];
  /** Why the gate fails or waits, one sentence each; empty on pass. */
  readonly reasons: readonly string[];
}

const percent = (part: number, whole: number): number =>
  whole <= 0 ? 0 : Math.round((part / whole) * 10_000) / 100;

export function evaluateGate(figures: GateFigures, gate: GateThresholds, soakElapsed: boolean): GateResult {
  const reported = figures.installed + figures.failed;
  const failurePercent = percent(figures.failed, reported);
  const faultCount = soakElapsed ? figures.faultedOrStopped : figures.faulted;
  const faultPercent = percent(faultCount, figures.computers);
  const enough = reported >= gate.minReported;
  const checks: GateCheck[] = [
    { name: 'reported', value: reported, threshold: gate.minReported, ok: enough, decisive: soakElapsed },
    {
      name: 'failurePercent',
      value: failurePercent,
      threshold: gate.maxFailurePercent,
      ok: failurePercent <= gate.maxFailurePercent,
      decisive: reported > 0 && (enough || soakElapsed),
    },
    {
      name: 'faultPercent',
      value: faultPercent,
      threshold: gate.maxFaultPercent,
      ok: faultPercent <= gate.maxFaultPercent,
      decisive: true,
    },
    {
      name: 'uninstalls',
      value: figures.uninstalls,
      threshold: gate.maxUninstalls,
      ok: figures.uninstalls <= gate.maxUninstalls,
      decisive: true,
    },
  ];
  const failed = checks.filter((c) => c.name !== 'reported' && c.decisive && !c.ok);
  if (failed.length > 0)
    return {
      verdict: 'fail',
      reported,
      failurePercent,
      faultPercent,
      checks,
      reasons: failed.map((c) => failReason(c, figures, soakElapsed)),
    };
  const reasons: string[] = [];
  if (!soakElapsed) reasons.push('soak time not over');
  if (!enough)
    reasons.push(
      `${reported} of ${gate.minReported} required install reports (ring has ${figures.computers} computers)`,
    );
  return {
    verdict: reasons.length > 0 ? 'wait' : 'pass',
    reported,
    failurePercent,
    faultPercent,
    checks,
    reasons,
  };
}

function failReason(c: GateCheck, f: GateFigures, soakElapsed: boolean): string {
  switch (c.name) {
    case 'failurePercent':
      return `install failures ${c.value}% (${f.failed} of ${f.installed + f.failed}) exceed ${c.threshold}%`;
    case 'faultPercent':
      return soakElapsed
        ? `clients that failed detection or stopped scanning ${c.value}% (${f.faultedOrStopped} of ${f.computers}) exceed ${c.threshold}%`
        : `clients that failed detection ${c.value}% (${f.faulted} of ${f.computers}) exceed ${c.threshold}%`;
    case 'uninstalls':
      return `${c.value} uninstall events exceed ${c.threshold}`;
    default:
      return `${c.name} ${c.value} outside ${c.threshold}`;
  }
}
