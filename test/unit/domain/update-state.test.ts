/**
 * The one UpdateState definition against the numbers and names WSUS uses (SUSDB
 * `tbUpdateStatusPerComputer.SummarizationState`, `vUpdateInstallationInfo.State`). The storage CHECK and the
 * SQL reports use the numbers; the connector wire (contract v1) and the admin API use the names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isUpdateState,
  neededUpdateStates,
  updateState,
  updateStateNames,
  wsusUpdateStateNames,
} from '../../../src/domain/index.js';
import { installationStates } from '../../../src/connectors/wire-contract.js';

void test('update states carry the SUSDB numbers 0..6', () => {
  assert.deepEqual(
    { ...updateState },
    {
      unknown: 0,
      notApplicable: 1,
      notInstalled: 2,
      downloaded: 3,
      installed: 4,
      failed: 5,
      installedPendingReboot: 6,
    },
  );
  assert.deepEqual(
    [-1, 0, 6, 7, 2.5].map((n) => isUpdateState(n)),
    [false, true, true, false, false],
  );
});

void test('names are indexed by state number: camelCase for the admin API, WSUS spelling on the connector wire', () => {
  assert.deepEqual(updateStateNames, [
    'unknown',
    'notApplicable',
    'notInstalled',
    'downloaded',
    'installed',
    'failed',
    'installedPendingReboot',
  ]);
  // Connector wire contract v1: these strings are what a receiver gets; they must never drift.
  const v1 = [
    'Unknown',
    'NotApplicable',
    'NotInstalled',
    'Downloaded',
    'Installed',
    'Failed',
    'InstalledPendingReboot',
  ];
  assert.deepEqual(wsusUpdateStateNames, v1);
  assert.deepEqual(installationStates, v1);
});

void test('"needed" is not installed, downloaded or installed pending reboot, as in WSUS reports', () => {
  assert.deepEqual([...neededUpdateStates].sort(), [2, 3, 6]);
});
