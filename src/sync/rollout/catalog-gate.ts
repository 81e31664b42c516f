import type { CatalogRing } from '../../domain/index.js';
import type { RingEvidenceRow } from '../../storage/index.js';

/** The gate's figures for one ring of a rollout, as `catalog rollout` and the logs show them. */
export interface GateFigures {
  readonly ringIndex: number;
  readonly ringName: string;
  /** Computers in the ring (by their groups). */
  readonly computers: number;
  /** Of them, the ones expected to scan: scanned within one soak time before the ring started, or since. */
  readonly active: number;
  /** Scanned the generation to the end without a fault. */
  readonly clean: number;
  /** Last scan of the generation faulted (a SOAP fault, or a reported failed detection, event 148). */
  readonly faulted: number;
  /** Active but no finished scan of the generation (never came back, or stopped mid-scan). */
  readonly silent: number;
  /** (faulted + silent) / active; 0 for an empty ring. */
  readonly faultRate: number;
  readonly minReported: number;
  readonly maxFaultRate: number;
  readonly soakEndsAt: number;
  /** The commonest fault codes, most frequent first (at most 5). */
  readonly faultCodes: readonly { readonly code: string; readonly computers: number }[];
}

export type GateVerdict =
  | { readonly kind: 'wait'; readonly figures: GateFigures }
  | { readonly kind: 'promote'; readonly figures: GateFigures }
  | { readonly kind: 'hold'; readonly reason: string; readonly figures: GateFigures };

/**
 * The health gate of a ring for a catalog generation (docs/rings.md "Ringed catalog changes"). Computers
 * are expected to scan within the soak time (the soak must cover the clients' detection interval), so a
 * computer that scanned in the soak time before the ring started and has no clean scan of the new
 * generation by the end of the soak counts as "stopped scanning". Before the soak ends the gate holds early
 * only on faults, once enough computers reported; at the end it promotes or holds with the reason.
 */
export function evaluateCatalogGate(
  ring: CatalogRing,
  ringIndex: number,
  rows: readonly RingEvidenceRow[],
  enteredAt: number,
  now: number,
): GateVerdict {
  const since = enteredAt - ring.soakMs;
  let active = 0;
  let clean = 0;
  let faulted = 0;
  const codes = new Map<string, number>();
  for (const r of rows) {
    const scanned = r.startedAt !== null || r.completedAt !== null || r.faultedAt !== null;
    if (!scanned && (r.lastSyncAt === null || r.lastSyncAt < since)) continue;
    active++;
    // The last outcome counts: a transient fault followed by a clean scan is clean.
    if (r.faultedAt !== null && r.faultedAt >= (r.completedAt ?? 0)) {
      faulted++;
      const code = r.faultCode ?? 'unknown';
      codes.set(code, (codes.get(code) ?? 0) + 1);
    } else if (r.completedAt !== null) clean++;
  }
  const silent = active - clean - faulted;
  const figures: GateFigures = {
    ringIndex,
    ringName: ring.name,
    computers: rows.length,
    active,
    clean,
    faulted,
    silent,
    faultRate: active === 0 ? 0 : (faulted + silent) / active,
    minReported: ring.minReported,
    maxFaultRate: ring.maxFaultRate,
    soakEndsAt: enteredAt + ring.soakMs,
    faultCodes: [...codes]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([code, computers]) => ({ code, computers })),
  };
  const reported = clean + faulted;
  const ringText = `ring ${ringIndex} (${ring.name})`;
  const codesText =
    figures.faultCodes.length === 0
      ? ''
      : `; fault codes ${figures.faultCodes.map((c) => `${c.code} (${c.computers})`).join(', ')}`;
  const faultOnly = active === 0 ? 0 : faulted / active;
  if (now < figures.soakEndsAt) {
    if (reported >= ring.minReported && faultOnly > ring.maxFaultRate)
      return {
        kind: 'hold',
        reason:
          `${ringText}: ${faulted} of ${active} active computers faulted on the generation ` +
          `(${pct(faultOnly)} > gate ${pct(ring.maxFaultRate)})${codesText}`,
        figures,
      };
    return { kind: 'wait', figures };
  }
  if (reported < ring.minReported)
    return {
      kind: 'hold',
      reason:
        `${ringText}: ${reported} computers reported on the generation by the end of the soak, ` +
        `the gate needs at least ${ring.minReported}`,
      figures,
    };
  if (figures.faultRate > ring.maxFaultRate)
    return {
      kind: 'hold',
      reason:
        `${ringText}: of ${active} active computers ${faulted} faulted and ${silent} stopped scanning ` +
        `(${pct(figures.faultRate)} > gate ${pct(ring.maxFaultRate)})${codesText}`,
      figures,
    };
  return { kind: 'promote', figures };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
