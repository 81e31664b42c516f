import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allComputersGroupId,
  asGroupId,
  deploymentActionFor,
  resolveEffectiveApproval,
  type GroupApproval,
  type GroupId,
} from '../../../src/domain/index.js';

// All Computers -> Servers -> Web ; All Computers -> Pilot
const servers = asGroupId('11111111-1111-1111-1111-111111111111');
const web = asGroupId('22222222-2222-2222-2222-222222222222');
const pilot = asGroupId('33333333-3333-3333-3333-333333333333');
const parents = new Map<GroupId, GroupId>([
  [servers, allComputersGroupId],
  [web, servers],
  [pilot, allComputersGroupId],
]);
const parentOf = (g: GroupId): GroupId | undefined => parents.get(g);

function resolve(memberships: GroupId[], approvals: GroupApproval[]) {
  const byGroup = new Map(approvals.map((a) => [a.groupId, a]));
  return resolveEffectiveApproval(memberships, parentOf, (g) => byGroup.get(g));
}

void test('no approval on any path: undefined (not approved)', () => {
  assert.equal(resolve([web, pilot], []), undefined);
});

void test('inherits the nearest ancestor approval', () => {
  const r = resolve([web], [{ groupId: allComputersGroupId, action: 'install' }]);
  assert.equal(r?.action, 'install');
  assert.equal(r?.sourceGroupId, allComputersGroupId);
  assert.equal(r?.depth, 0);
});

void test('an explicit "not approved" on a child stops inheritance', () => {
  const r = resolve(
    [web],
    [
      { groupId: allComputersGroupId, action: 'install' },
      { groupId: servers, action: 'notApproved' },
    ],
  );
  assert.equal(r?.action, 'notApproved');
  assert.equal(r?.sourceGroupId, servers);
});

void test('deeper group wins over install on a shallower one', () => {
  const r = resolve(
    [web, pilot],
    [
      { groupId: pilot, action: 'install' }, // depth 1
      { groupId: web, action: 'uninstall' }, // depth 2
    ],
  );
  assert.equal(r?.action, 'uninstall');
  assert.equal(r?.sourceGroupId, web);
});

void test('same depth: install beats uninstall regardless of membership order', () => {
  const approvals: GroupApproval[] = [
    { groupId: servers, action: 'uninstall' },
    { groupId: pilot, action: 'install' },
  ];
  assert.equal(resolve([servers, pilot], approvals)?.action, 'install');
  assert.equal(resolve([pilot, servers], approvals)?.action, 'install');
});

void test('same action: required (deadline) over optional, then the earliest deadline', () => {
  const optional = resolve(
    [servers, pilot],
    [
      { groupId: servers, action: 'install' },
      { groupId: pilot, action: 'install', deadlineAt: 2_000 },
    ],
  );
  assert.equal(optional?.deadlineAt, 2_000);
  assert.equal(optional?.sourceGroupId, pilot);
  const earliest = resolve(
    [pilot, servers],
    [
      { groupId: servers, action: 'install', deadlineAt: 1_000 },
      { groupId: pilot, action: 'install', deadlineAt: 2_000 },
    ],
  );
  assert.equal(earliest?.deadlineAt, 1_000);
  assert.equal(earliest?.sourceGroupId, servers);
});

void test('a parent cycle in corrupt data throws instead of hanging', () => {
  const a = asGroupId('44444444-4444-4444-4444-444444444444');
  const b = asGroupId('55555555-5555-5555-5555-555555555555');
  const loop = new Map([
    [a, b],
    [b, a],
  ]);
  assert.throws(
    () =>
      resolveEffectiveApproval(
        [a],
        (g) => loop.get(g),
        () => undefined,
      ),
    RangeError,
  );
});

void test('deployment action mapping (docs/protocol/client.md §1.6.2)', () => {
  assert.equal(
    deploymentActionFor({ kind: 'category', isBundleMember: false, decision: 'install' }),
    'Evaluate',
  );
  assert.equal(
    deploymentActionFor({ kind: 'detectoid', isBundleMember: false, decision: 'notApproved' }),
    'Evaluate',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: true, decision: 'install' }),
    'Bundle',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: false, decision: 'install' }),
    'Install',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: false, decision: 'uninstall' }),
    'Uninstall',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: false, decision: 'notApproved' }),
    'PreDeploymentCheck',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: false, decision: 'block' }),
    'PreDeploymentCheck',
  );
  assert.equal(
    deploymentActionFor({ kind: 'software', isBundleMember: false, decision: 'declined' }),
    undefined,
  );
  assert.equal(
    deploymentActionFor({ kind: 'driver', isBundleMember: false, decision: 'install' }),
    undefined,
  );
});
