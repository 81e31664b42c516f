/** WSUS per-computer, per-update states (SUSDB `tbUpdateStatusPerComputer.SummarizationState`). */
export const updateState = Object.freeze({
  unknown: 0,
  notApplicable: 1,
  notInstalled: 2,
  downloaded: 3,
  installed: 4,
  failed: 5,
  installedPendingReboot: 6,
});

export type UpdateState = (typeof updateState)[keyof typeof updateState];

export const updateStateNames: Readonly<Record<number, string>> = Object.freeze({
  0: 'unknown',
  1: 'not-applicable',
  2: 'not-installed',
  3: 'downloaded',
  4: 'installed',
  5: 'failed',
  6: 'installed-pending-reboot',
});
