import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import {
  decodeGetDeploymentsRequest,
  decodeGetDeploymentsResult,
  defaultServerSyncLimits,
  encodeGetDeploymentsRequest,
  encodeGetDeploymentsResponse,
  noDeadlineText,
  serverSyncNs,
  type DeploymentsResult,
} from '../../../src/protocol/server-sync/index.js';
import { parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';

const cookie = {
  expirationText: '2026-12-07T18:00:00Z',
  expiresAt: new Date('2026-12-07T18:00:00Z'),
  encryptedData: Buffer.from('abc'),
};
const allComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';

const sample: DeploymentsResult = {
  anchor: '12,2026-12-07 15:00:00.123',
  groups: [
    {
      groupId: allComputers,
      parentGroupId: '00000000-0000-0000-0000-000000000000',
      name: 'All Computers',
      isBuiltin: true,
    },
    {
      groupId: '11111111-2222-4333-8444-555555555555',
      parentGroupId: allComputers,
      name: 'Ring <1>',
      isBuiltin: false,
    },
  ],
  deployments: [
    {
      updateId: '0badf00d-0000-4000-8000-00000000a001',
      revisionNumber: 100,
      action: 0,
      adminName: 'admin-b',
      deadlineAt: Date.UTC(2099, 0, 15, 18),
      isAssigned: true,
      goLiveAt: Date.UTC(2026, 11, 7, 14, 0, 0, 887),
      deploymentGuid: '9e1c7c4e-0000-5000-8000-000000000001',
      targetGroupId: '11111111-2222-4333-8444-555555555555',
      downloadPriority: 1,
    },
    {
      updateId: '0badf00d-0000-4000-8000-00000000a002',
      revisionNumber: 7,
      action: 3,
      adminName: undefined,
      deadlineAt: undefined,
      isAssigned: true,
      goLiveAt: Date.UTC(2026, 11, 7),
      deploymentGuid: '9e1c7c4e-0000-5000-8000-000000000002',
      targetGroupId: allComputers,
      downloadPriority: 1,
    },
  ],
  deadDeployments: ['9e1c7c4e-0000-5000-8000-000000000003'],
  hiddenUpdates: ['0badf00d-0000-4000-8000-00000000a004'],
  acceptedEulas: [],
};

function resultOf(xml: string): XmlElement {
  const root = parseXml(xml);
  return root.children.find((c): c is XmlElement => c.kind === 'element')!;
}

const names = (e: XmlElement) =>
  e.children.filter((c): c is XmlElement => c.kind === 'element').map((c) => c.local);

void test('GetDeployments answer: the SPEC element order (3.1.4.10.3), no-deadline sentinel, zone-less times, and a lossless round trip', () => {
  const xml = encodeGetDeploymentsResponse(sample);
  const result = resultOf(xml);
  assert.equal(result.local, 'GetDeploymentsResult');
  assert.equal(result.uri, serverSyncNs);
  assert.deepEqual(names(result), [
    'Anchor',
    'Groups',
    'Deployments',
    'DeadDeployments',
    'HiddenUpdates',
    'AcceptedEulas',
  ]);
  const groups = result.children.filter((c): c is XmlElement => c.kind === 'element')[1]!;
  assert.deepEqual(names(groups.children.find((c): c is XmlElement => c.kind === 'element')!), [
    'TargetGroupID',
    'ParentGroupId',
    'Name',
    'IsBuiltin',
  ]);
  const deps = result.children.filter((c): c is XmlElement => c.kind === 'element')[2]!;
  const [first, second] = deps.children.filter((c): c is XmlElement => c.kind === 'element');
  assert.deepEqual(names(first!), [
    'UpdateId',
    'RevisionNumber',
    'Action',
    'AdminName',
    'Deadline',
    'IsAssigned',
    'GoLiveTime',
    'DeploymentGuid',
    'TargetGroupId',
    'DownloadPriority',
  ]);
  assert.ok(!names(second!).includes('AdminName'));
  assert.ok(xml.includes(`<Deadline>${noDeadlineText}</Deadline>`));
  assert.ok(
    xml.includes('<GoLiveTime>2026-12-07T14:00:00.887</GoLiveTime>'),
    'UTC without a zone, as the sample',
  );
  assert.ok(xml.includes('Ring &lt;1&gt;'));
  assert.ok(xml.includes('<AcceptedEulas/>'), 'an empty list is still present (required)');
  assert.deepEqual(decodeGetDeploymentsResult(result), sample);
});

void test('GetDeployments request: both anchors round-trip; a missing or empty syncAnchor is InvalidParameters syncAnchor', () => {
  const op = parseXml(
    encodeGetDeploymentsRequest({
      cookie,
      deploymentAnchor: '3,2026-12-07 15:00:00.000',
      syncAnchor: '9,2026-12-07 15:00:01.000',
    }),
  );
  const r = decodeGetDeploymentsRequest(op);
  assert.equal(r.deploymentAnchor, '3,2026-12-07 15:00:00.000');
  assert.equal(r.syncAnchor, '9,2026-12-07 15:00:01.000');
  const first = decodeGetDeploymentsRequest(
    parseXml(encodeGetDeploymentsRequest({ cookie, deploymentAnchor: undefined, syncAnchor: 'x' })),
  );
  assert.equal(first.deploymentAnchor, undefined);
  for (const inner of ['', '<syncAnchor></syncAnchor>', '<syncAnchor>   </syncAnchor>']) {
    const el = parseXml(
      `<GetDeployments xmlns="${serverSyncNs}"><cookie><Expiration>2026-12-07T18:00:00Z</Expiration><EncryptedData>YWJj</EncryptedData></cookie>${inner}</GetDeployments>`,
    );
    assert.throws(
      () => decodeGetDeploymentsRequest(el),
      (e) => isAppError(e) && e.code === 'PB_ERR_INVALID_PARAMETER' && e.detail?.parameter === 'syncAnchor',
    );
  }
});

void test('GetDeployments answer from an upstream: bad values and oversized lists are protocol errors, never a crash', () => {
  const good = encodeGetDeploymentsResponse(sample);
  const bad = [
    good.replace('<Action>0</Action>', '<Action>4</Action>'),
    good.replace('<Action>0</Action>', '<Action>x</Action>'),
    good.replace(/<DeploymentGuid>[^<]+<\/DeploymentGuid>/, '<DeploymentGuid>nope</DeploymentGuid>'),
    good.replace(/<Deadline>2099[^<]+<\/Deadline>/, '<Deadline>tomorrow</Deadline>'),
    good.replace('<Groups>', '<Groupz>').replace('</Groups>', '</Groupz>'),
    good.replace(/<Anchor>[^<]+<\/Anchor>/, ''),
  ];
  for (const xml of bad)
    assert.throws(
      () => decodeGetDeploymentsResult(resultOf(xml)),
      (e) => isAppError(e) && e.code === 'PB_ERR_UPSTREAM_PROTOCOL',
    );
  const small = { ...defaultServerSyncLimits, maxTargetGroups: 1 };
  assert.throws(
    () => decodeGetDeploymentsResult(resultOf(good), small),
    (e) => isAppError(e) && e.code === 'PB_ERR_UPSTREAM_PROTOCOL' && /more than 1/.test(e.message),
  );
});
