/**
 * Reporting roll-up (docs/protocol/upstream.md §U2, MS-WSUSSS 3.1.4.13-17): the batch sizes we announce in
 * GetRollupConfiguration and enforce on every request. The four batch sizes are Windows' own (SPEC: "always
 * 5,000 / 1,500 / 20,000 / 500"), so a Windows DSS never sends more; the other caps bound what one request
 * may make us parse and are far above what the SPEC's types allow a real DSS to send.
 */
export interface RollupLimits {
  /** Client summaries in one RollupDownstreamServers (the stricter SPEC reading; entries are capped too). */
  readonly downstreamServersBatch: number;
  readonly computersBatch: number;
  readonly outOfSyncBatch: number;
  readonly computerStatusBatch: number;
  /** Activity summaries (update, install counts) in one RollupDownstreamServers request, summed. */
  readonly activitySummaries: number;
  /** UpdateStatus entries of one computer in one RollupComputerStatus (a full roll-up lists every update). */
  readonly updateStatusPerComputer: number;
  /** UpdateStatus entries in one RollupComputerStatus request, summed over its computers. */
  readonly updateStatusPerRequest: number;
  /** TargetGroupIdList / RequestedTargetGroupNames items of one computer. */
  readonly groupsPerComputer: number;
}

export const defaultRollupLimits: RollupLimits = Object.freeze({
  downstreamServersBatch: 5000,
  computersBatch: 1500,
  outOfSyncBatch: 20_000,
  computerStatusBatch: 500,
  activitySummaries: 100_000,
  updateStatusPerComputer: 50_000,
  updateStatusPerRequest: 500_000,
  groupsPerComputer: 256,
});
