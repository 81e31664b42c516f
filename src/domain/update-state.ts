/**
 * WSUS per-computer, per-update installation states: SUSDB `tbUpdateStatusPerComputer.SummarizationState`, the
 * `State` of `vUpdateInstallationInfo`. The one definition: storage validates against it, fleet derives states
 * from client events with it, the admin API and the connector name states from it. (Migration 0003's CHECK
 * constraint keeps its own `between 0 and 6`, as migrations never change under us; a contract test holds the
 * two together.)
 */
export const updateState = Object.freeze({
  unknown: 0,
  notApplicable: 1,
  notInstalled: 2,
  downloaded: 3,
  installed: 4,
  failed: 5,
  installedPendingReboot: 6,
});

export type UpdateStateName = keyof typeof updateState;
export type UpdateState = (typeof updateState)[UpdateStateName];

/** The camelCase name of each state, indexed by state number (the keys of the admin API's `statusCounts`). */
export const updateStateNames: readonly UpdateStateName[] = Object.freeze(
  (Object.entries(updateState) as [UpdateStateName, UpdateState][])
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name),
);

/** The WSUS spelling of each state (`NotApplicable`, `InstalledPendingReboot`, ...), indexed by state number. */
export const wsusUpdateStateNames: readonly string[] = Object.freeze(
  updateStateNames.map((n) => n.charAt(0).toUpperCase() + n.slice(1)),
);

/** The states WSUS reports count as "needed": applicable and not (finally) installed. */
export const neededUpdateStates: readonly UpdateState[] = Object.freeze([
  updateState.notInstalled,
  updateState.downloaded,
  updateState.installedPendingReboot,
]);

export function isUpdateState(value: number): value is UpdateState {
  return Number.isInteger(value) && value >= 0 && value < updateStateNames.length;
}
