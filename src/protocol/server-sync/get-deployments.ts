import {
  parseBoolean,
  parseDateTime,
  parseGuid,
  parseInt32,
  readOptional,
  readRequired,
} from '../soap/index.js';
import {
  childElement,
  el,
  invalidParameter,
  optionalTextEl,
  textEl,
  textOf,
  type XmlElement,
} from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import { decodeRequestCookie } from './get-config-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { encodeServerSyncCookie, type ServerSyncCookie } from './session-cookie.js';
import { boolText, parseNonNegativeInt, shortString } from './values.js';

/**
 * GetDeployments (MS-WSUSSS 3.1.4.10, docs/protocol/upstream.md "GetDeployments"): what a replica downstream
 * mirrors from its upstream after the metadata. SPEC only: no capture of it exists (a Windows replica was
 * never recorded), so element names and order follow the schema of 3.1.4.10.3 and sample 2.
 */
export interface GetDeploymentsRequest {
  readonly cookie: ServerSyncCookie;
  /** Absent or empty on a replica's first call, else the `Anchor` of its last GetDeployments answer. */
  readonly deploymentAnchor: string | undefined;
  /** Required: the `Anchor` of the same sync's updates GetRevisionIdList. */
  readonly syncAnchor: string;
}

/** `ServerSyncTargetGroup` (note the casing: `TargetGroupID`, `ParentGroupId`). */
export interface ServerSyncTargetGroup {
  readonly groupId: string;
  /** The all-zero GUID for the root. */
  readonly parentGroupId: string;
  readonly name: string;
  readonly isBuiltin: boolean;
}

/** 0 install, 1 uninstall, 2 scan for presence (PreDeploymentCheck), 3 block (NotApproved). */
export type DeploymentActionCode = 0 | 1 | 2 | 3;

export interface ServerSyncDeployment {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly action: DeploymentActionCode;
  readonly adminName: string | undefined;
  /** ms since the epoch; undefined = no deadline (the wire's `9999-12-31T23:59:59.9999999`). */
  readonly deadlineAt: number | undefined;
  readonly isAssigned: boolean;
  readonly goLiveAt: number;
  readonly deploymentGuid: string;
  readonly targetGroupId: string;
  /** 1 (lowest) to 3 (highest). */
  readonly downloadPriority: number;
}

export interface DeploymentsResult {
  readonly anchor: string;
  /** Every target group of the upstream, every call. */
  readonly groups: readonly ServerSyncTargetGroup[];
  /** Deployments added or changed in the window. */
  readonly deployments: readonly ServerSyncDeployment[];
  /** DeploymentGuids deleted in the window. */
  readonly deadDeployments: readonly string[];
  /** The full list of hidden (declined) update ids. */
  readonly hiddenUpdates: readonly string[];
  /** The full list of accepted EULA ids. */
  readonly acceptedEulas: readonly string[];
}

export const zeroGuid = '00000000-0000-0000-0000-000000000000';

/** SPEC: "no deadline" is this value, always present. */
export const noDeadlineText = '9999-12-31T23:59:59.9999999';

/** A UTC instant without a zone, as the SPEC sample writes it (`2006-05-24T15:37:08.887`). */
export function deploymentTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}

export function encodeGetDeploymentsRequest(r: GetDeploymentsRequest): string {
  return el('GetDeployments', { xmlns: serverSyncNs }, [
    encodeServerSyncCookie('cookie', r.cookie),
    optionalTextEl('deploymentAnchor', r.deploymentAnchor),
    textEl('syncAnchor', r.syncAnchor),
  ]);
}

export function decodeGetDeploymentsRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetDeploymentsRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetDeployments');
  const cookie = decodeRequestCookie(op, limits);
  const text = shortString(limits.maxShortString);
  const deploymentAnchor = readOptional(op, serverSyncNs, 'deploymentAnchor', 'deploymentAnchor', text);
  const syncAnchor = readOptional(op, serverSyncNs, 'syncAnchor', 'syncAnchor', text);
  if (syncAnchor === undefined || syncAnchor === '')
    throw invalidParameter('syncAnchor', 'missing or empty syncAnchor');
  return {
    cookie,
    deploymentAnchor: deploymentAnchor === '' ? undefined : deploymentAnchor,
    syncAnchor,
  };
}

function guidList(name: string, ids: readonly string[]): string {
  return el(
    name,
    undefined,
    ids.map((g) => textEl('guid', g)),
  );
}

export function encodeGetDeploymentsResponse(r: DeploymentsResult): string {
  return el('GetDeploymentsResponse', { xmlns: serverSyncNs }, [
    el('GetDeploymentsResult', undefined, [
      textEl('Anchor', r.anchor),
      el(
        'Groups',
        undefined,
        r.groups.map((g) =>
          el('ServerSyncTargetGroup', undefined, [
            textEl('TargetGroupID', g.groupId),
            textEl('ParentGroupId', g.parentGroupId),
            textEl('Name', g.name),
            textEl('IsBuiltin', boolText(g.isBuiltin)),
          ]),
        ),
      ),
      el(
        'Deployments',
        undefined,
        r.deployments.map((d) =>
          el('ServerSyncDeployment', undefined, [
            textEl('UpdateId', d.updateId),
            textEl('RevisionNumber', d.revisionNumber),
            textEl('Action', d.action),
            optionalTextEl('AdminName', d.adminName),
            textEl('Deadline', d.deadlineAt === undefined ? noDeadlineText : deploymentTime(d.deadlineAt)),
            textEl('IsAssigned', boolText(d.isAssigned)),
            textEl('GoLiveTime', deploymentTime(d.goLiveAt)),
            textEl('DeploymentGuid', d.deploymentGuid),
            textEl('TargetGroupId', d.targetGroupId),
            textEl('DownloadPriority', d.downloadPriority),
          ]),
        ),
      ),
      guidList('DeadDeployments', r.deadDeployments),
      guidList('HiddenUpdates', r.hiddenUpdates),
      guidList('AcceptedEulas', r.acceptedEulas),
    ]),
  ]);
}

/** The children named `local` of a required list element, at most `max` of them. */
function listItems(parent: XmlElement, name: string, local: string, max: number): XmlElement[] {
  const list = childElement(parent, serverSyncNs, name);
  if (!list) throw invalidParameter(name, `missing element ${name}`);
  const out: XmlElement[] = [];
  for (const c of list.children) {
    if (c.kind !== 'element' || c.uri !== serverSyncNs || c.local !== local) continue;
    if (out.length === max) throw invalidParameter(name, `more than ${max} ${local} items`);
    out.push(c);
  }
  return out;
}

function actionCode(text: string, path: string): DeploymentActionCode {
  const n = parseInt32(text, path);
  if (n !== 0 && n !== 1 && n !== 2 && n !== 3) throw invalidParameter(path, 'Action must be 0 to 3');
  return n;
}

/** `Deadline`: the year-9999 sentinel (or anything from then on) means no deadline. */
function deadline(text: string, path: string): number | undefined {
  if (text.trim().startsWith('9999-')) return undefined;
  return parseDateTime(text, path).getTime();
}

/** The DSS side: an upstream's GetDeploymentsResult, bounded by `limits` (untrusted input). */
export function decodeGetDeploymentsResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): DeploymentsResult {
  return decodeOrProtocolError('GetDeployments', () => {
    const text = shortString(limits.maxShortString);
    const groups = listItems(result, 'Groups', 'ServerSyncTargetGroup', limits.maxTargetGroups).map((g) => ({
      groupId: readRequired(g, serverSyncNs, 'TargetGroupID', 'Groups.TargetGroupID', parseGuid),
      // SPEC sample 2 omits Unassigned Computers' parent although the schema requires it: accept that.
      parentGroupId:
        readOptional(g, serverSyncNs, 'ParentGroupId', 'Groups.ParentGroupId', parseGuid) ?? zeroGuid,
      name: readOptional(g, serverSyncNs, 'Name', 'Groups.Name', shortString(256)) ?? '',
      isBuiltin: readOptional(g, serverSyncNs, 'IsBuiltin', 'Groups.IsBuiltin', parseBoolean) ?? false,
    }));
    const deployments = listItems(result, 'Deployments', 'ServerSyncDeployment', limits.maxDeployments).map(
      (d) => ({
        updateId: readRequired(d, serverSyncNs, 'UpdateId', 'Deployments.UpdateId', parseGuid),
        revisionNumber: readRequired(
          d,
          serverSyncNs,
          'RevisionNumber',
          'Deployments.RevisionNumber',
          parseNonNegativeInt,
        ),
        action: readRequired(d, serverSyncNs, 'Action', 'Deployments.Action', actionCode),
        adminName: readOptional(d, serverSyncNs, 'AdminName', 'Deployments.AdminName', shortString(256)),
        deadlineAt: readRequired(d, serverSyncNs, 'Deadline', 'Deployments.Deadline', (t, p) => ({
          at: deadline(t, p),
        })).at,
        isAssigned:
          readOptional(d, serverSyncNs, 'IsAssigned', 'Deployments.IsAssigned', parseBoolean) ?? true,
        goLiveAt: readRequired(
          d,
          serverSyncNs,
          'GoLiveTime',
          'Deployments.GoLiveTime',
          parseDateTime,
        ).getTime(),
        deploymentGuid: readRequired(
          d,
          serverSyncNs,
          'DeploymentGuid',
          'Deployments.DeploymentGuid',
          parseGuid,
        ),
        targetGroupId: readRequired(d, serverSyncNs, 'TargetGroupId', 'Deployments.TargetGroupId', parseGuid),
        downloadPriority:
          readOptional(d, serverSyncNs, 'DownloadPriority', 'Deployments.DownloadPriority', parseInt32) ?? 1,
      }),
    );
    const guids = (name: string, max: number) =>
      listItems(result, name, 'guid', max).map((g) => parseGuid(textOf(g), name));
    return {
      anchor: readRequired(result, serverSyncNs, 'Anchor', 'Anchor', text),
      groups,
      deployments,
      deadDeployments: guids('DeadDeployments', limits.maxDeployments),
      hiddenUpdates: guids('HiddenUpdates', limits.maxListedRevisions),
      acceptedEulas: guids('AcceptedEulas', limits.maxListedRevisions),
    };
  });
}
