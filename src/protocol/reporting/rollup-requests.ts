/**
 * Reporting roll-up requests (docs/protocol/upstream.md §U2, SPEC only: MS-WSUSSS 3.1.4.13-17 and 6.3; no real
 * capture exists): decoders for the upstream role and encoders for Patchbay as a downstream, element order as
 * the WSDL gives it. Every string is untrusted text with a length cap; every list is capped (rollup-limits.ts);
 * a violation is InvalidParameters naming the WSDL parameter.
 */
import {
  parseBoolean,
  parseDateTime,
  parseGuid,
  parseInt32,
  readArray,
  readOptional,
  readRequired,
  stringParser,
  type ItemParser,
} from '../soap/index.js';
import {
  attributeValue,
  childElement,
  childElements,
  el,
  invalidParameter,
  optionalTextEl,
  textEl,
  type XmlElement,
} from '../xml/index.js';
import { reportingNs } from './report-event-batch.js';
import { defaultRollupLimits, type RollupLimits } from './rollup-limits.js';

const ns = reportingNs;
export const zeroGuid = '00000000-0000-0000-0000-000000000000';

/** The 18 ServerSummary counters, in WSDL order (DownstreamServerRollupServerSummary). */
export const serverSummaryFields = [
  'UpdateCount',
  'DeclinedUpdateCount',
  'ApprovedUpdateCount',
  'NotApprovedUpdateCount',
  'UpdatesWithStaleUpdateApprovalsCount',
  'ExpiredUpdateCount',
  'CriticalOrSecurityUpdatesNotApprovedForInstallCount',
  'WsusInfrastructureUpdatesNotApprovedForInstallCount',
  'UpdatesWithClientErrorsCount',
  'UpdatesWithServerErrorsCount',
  'UpdatesNeedingFilesCount',
  'UpdatesNeededByComputersCount',
  'UpdatesUpToDateCount',
  'CustomComputerTargetGroupCount',
  'ComputerTargetCount',
  'ComputerTargetsNeedingUpdatesCount',
  'ComputerTargetsWithUpdateErrorsCount',
  'ComputersUpToDateCount',
] as const;
export type ServerSummary = Readonly<Record<(typeof serverSummaryFields)[number], number>>;

export interface RollupActivity {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly installSuccessCount: number;
  readonly installFailureCount: number;
}

export interface RollupClientSummary {
  readonly osMajor: number;
  readonly osMinor: number;
  readonly osBuild: number;
  readonly osLocale: string | undefined;
  readonly count: number;
  readonly activities: readonly RollupActivity[];
}

/** One DownstreamServerRollupInfo: a server of the caller's subtree (the caller itself last). */
export interface RollupServerInfo {
  readonly serverId: string;
  readonly fullDomainName: string | undefined;
  readonly lastSyncTime: Date | null;
  /** The zero GUID means "my parent is you". */
  readonly parentServerId: string;
  readonly version: string | undefined;
  readonly isReplica: boolean;
  readonly lastRollupTime: Date | null;
  readonly summary: ServerSummary | undefined;
  readonly clientSummaries: readonly RollupClientSummary[];
}

export interface RollupComputerDetails {
  readonly targetGroupIds: readonly string[];
  readonly requestedTargetGroupNames: readonly string[];
  readonly ipAddress: string | undefined;
  readonly fullDomainName: string | undefined;
  readonly osMajor: number | undefined;
  readonly osMinor: number | undefined;
  readonly osBuild: number | undefined;
  readonly osServicePackMajor: number | undefined;
  readonly osServicePackMinor: number | undefined;
  readonly osLocale: string | undefined;
  readonly osFamily: string | undefined;
  readonly osDescription: string | undefined;
  readonly computerMake: string | undefined;
  readonly computerModel: string | undefined;
  readonly biosVersion: string | undefined;
  readonly biosName: string | undefined;
  readonly processorArchitecture: string | undefined;
  readonly clientVersion: string | undefined;
}

/** One ComputerRollupInfo. */
export interface RollupComputerInfo {
  readonly computerId: string;
  readonly lastSyncTime: Date | null;
  /** 0 unknown, 1 succeeded, 2 failed. */
  readonly lastSyncResult: number;
  readonly lastReportedRebootTime: Date | null;
  readonly lastReportedStatusTime: Date | null;
  readonly lastInventoryTime: Date | null;
  /** The server the client talks to (the caller or one of its descendants). */
  readonly parentServerId: string;
  readonly details: RollupComputerDetails | undefined;
}

export interface RollupUpdateStatus {
  readonly updateId: string;
  /** 0..6 as the data model (SUSDB) numbers them. */
  readonly state: number;
  readonly lastChangeTime: Date | null;
}

/** One ComputerStatusRollupInfo. */
export interface RollupComputerStatus {
  readonly instanceId: string;
  readonly computerId: string;
  readonly effectiveLastDetectionTime: Date | null;
  readonly rollupNumber: number;
  readonly isFullRollup: boolean;
  readonly updateStatus: readonly RollupUpdateStatus[];
}

export interface RollupNumber {
  readonly computerId: string;
  readonly rollupNumber: number;
}

export interface RollupDownstreamServersRequest {
  readonly clientTime: Date;
  readonly servers: readonly RollupServerInfo[];
}
export interface RollupComputersRequest {
  readonly clientTime: Date;
  readonly computers: readonly RollupComputerInfo[];
}
export interface GetOutOfSyncComputersRequest {
  readonly parentServerId: string;
  readonly lastRollupNumbers: readonly RollupNumber[];
}
export interface RollupComputerStatusRequest {
  readonly clientTime: Date;
  readonly parentServerId: string;
  readonly computers: readonly RollupComputerStatus[];
}

// --- value parsers -------------------------------------------------------------------------------------------

const guid: ItemParser<string> = (t, p) => parseGuid(t, p).toLowerCase();
const nonNegative: ItemParser<number> = (t, p) => {
  const n = parseInt32(t, p);
  if (n < 0) throw invalidParameter(p, 'negative');
  return n;
};
const neverBefore = Date.UTC(1754, 0, 1);
/** SPEC: "never" is 1753-01-01 (prose) or 0001-01-01 (sample 3): both read as null. */
const rollupTime: ItemParser<Date | null> = (t, p) => {
  const d = parseDateTime(t, p);
  return d.getTime() < neverBefore ? null : d;
};
const state: ItemParser<number> = (t, p) => {
  const n = parseInt32(t, p);
  if (n < 0 || n > 6) throw invalidParameter(p, 'SummarizationState outside 0..6');
  return n;
};
const version: ItemParser<string> = (t, p) => {
  const v = t.trim();
  if (v.length > 32 || !/^\d{1,10}(?:\.\d{1,10}){0,3}$/.test(v))
    throw invalidParameter(p, 'not 1 to 4 dot-separated integers');
  return v;
};

function attr<T>(e: XmlElement, name: string, path: string, parse: ItemParser<T>): T | undefined {
  const v = attributeValue(e, name);
  return v === undefined ? undefined : parse(v, `${path}.${name}`);
}
function requiredAttr<T>(e: XmlElement, name: string, path: string, parse: ItemParser<T>): T {
  const v = attributeValue(e, name);
  if (v === undefined) throw invalidParameter(`${path}.${name}`, `missing attribute ${name}`);
  return parse(v, `${path}.${name}`);
}

/** The list element `local` of `parent`: its child elements, at most `max` (absent: []). */
function listItems(parent: XmlElement, local: string, path: string, max: number): XmlElement[] {
  const list = childElement(parent, ns, local);
  if (!list) return [];
  const items = childElements(list);
  if (items.length > max) throw invalidParameter(path, `more than ${max} items`);
  return items;
}

/** The SPEC's fixed cookie: its content is reserved and checks nothing, so it is not read. */
const fixedCookie = el('cookie', undefined, [
  textEl('Expiration', '9999-12-31T23:59:59.9999999'),
  el('EncryptedData'),
]);

function expectOp(op: XmlElement, local: string): void {
  if (op.uri !== ns || op.local !== local) throw invalidParameter(local, `expected ${local}`);
}

const time = (d: Date | null) => (d === null ? '0001-01-01T00:00:00' : d.toISOString());

// --- GetRollupConfiguration -----------------------------------------------------------------------------------

export function decodeGetRollupConfigurationRequest(op: XmlElement): void {
  expectOp(op, 'GetRollupConfiguration'); // SPEC: no input validation beyond the operation itself
}
export function encodeGetRollupConfigurationRequest(): string {
  return el('GetRollupConfiguration', { xmlns: ns }, [fixedCookie]);
}

// --- RollupDownstreamServers ----------------------------------------------------------------------------------

function decodeClientSummary(
  e: XmlElement,
  path: string,
  budget: { activities: number },
): RollupClientSummary {
  const activities = listItems(e, 'ActivitySummaries', `${path}.ActivitySummaries`, budget.activities).map(
    (a, i) => {
      const p = `${path}.ActivitySummaries[${i}]`;
      return {
        updateId: readRequired(a, ns, 'UpdateId', `${p}.UpdateId`, guid),
        revisionNumber: readRequired(a, ns, 'RevisionNumber', `${p}.RevisionNumber`, nonNegative),
        installSuccessCount: readRequired(
          a,
          ns,
          'InstallSuccessCount',
          `${p}.InstallSuccessCount`,
          nonNegative,
        ),
        installFailureCount: readRequired(
          a,
          ns,
          'InstallFailureCount',
          `${p}.InstallFailureCount`,
          nonNegative,
        ),
      };
    },
  );
  budget.activities -= activities.length;
  return {
    osMajor: readRequired(e, ns, 'OSMajorVersion', `${path}.OSMajorVersion`, nonNegative),
    osMinor: readRequired(e, ns, 'OSMinorVersion', `${path}.OSMinorVersion`, nonNegative),
    osBuild: readRequired(e, ns, 'OSBuildNumber', `${path}.OSBuildNumber`, nonNegative),
    osLocale: readOptional(e, ns, 'OSLocale', `${path}.OSLocale`, stringParser(32)),
    count: readRequired(e, ns, 'Count', `${path}.Count`, nonNegative),
    activities,
  };
}

function decodeServerSummary(e: XmlElement, path: string): ServerSummary {
  const out: Record<string, number> = {};
  for (const f of serverSummaryFields) out[f] = readRequired(e, ns, f, `${path}.${f}`, nonNegative);
  return out as ServerSummary;
}

export function decodeRollupDownstreamServersRequest(
  op: XmlElement,
  limits: RollupLimits = defaultRollupLimits,
): RollupDownstreamServersRequest {
  expectOp(op, 'RollupDownstreamServers');
  const clientTime = readRequired(op, ns, 'clientTime', 'clientTime', parseDateTime);
  const entries = listItems(op, 'downstreamServers', 'downstreamServers', limits.downstreamServersBatch);
  let summaries = limits.downstreamServersBatch;
  const budget = { activities: limits.activitySummaries };
  const servers = entries.map((e, i): RollupServerInfo => {
    const p = `downstreamServers[${i}]`;
    const summaryEl = childElement(e, ns, 'ServerSummary');
    const clientEls = listItems(e, 'ClientSummaries', `${p}.ClientSummaries`, summaries);
    summaries -= clientEls.length;
    return {
      serverId: readRequired(e, ns, 'ServerId', `${p}.ServerId`, guid),
      fullDomainName: readOptional(e, ns, 'FullDomainName', `${p}.FullDomainName`, stringParser(255)),
      lastSyncTime: readRequired(e, ns, 'LastSyncTime', `${p}.LastSyncTime`, rollupTime),
      parentServerId: readRequired(e, ns, 'ParentServerId', `${p}.ParentServerId`, guid),
      version: readOptional(e, ns, 'Version', `${p}.Version`, version),
      isReplica: readRequired(e, ns, 'IsReplica', `${p}.IsReplica`, parseBoolean),
      lastRollupTime: readRequired(e, ns, 'LastRollupTime', `${p}.LastRollupTime`, rollupTime),
      summary: summaryEl ? decodeServerSummary(summaryEl, `${p}.ServerSummary`) : undefined,
      clientSummaries: clientEls.map((c, j) => decodeClientSummary(c, `${p}.ClientSummaries[${j}]`, budget)),
    };
  });
  return { clientTime, servers };
}

export function encodeRollupDownstreamServersRequest(r: RollupDownstreamServersRequest): string {
  return el('RollupDownstreamServers', { xmlns: ns }, [
    fixedCookie,
    textEl('clientTime', r.clientTime.toISOString()),
    el(
      'downstreamServers',
      undefined,
      r.servers.map((s) =>
        el('DownstreamServerRollupInfo', undefined, [
          textEl('ServerId', s.serverId),
          optionalTextEl('FullDomainName', s.fullDomainName),
          textEl('LastSyncTime', time(s.lastSyncTime)),
          textEl('ParentServerId', s.parentServerId),
          optionalTextEl('Version', s.version),
          textEl('IsReplica', s.isReplica ? 'true' : 'false'),
          textEl('LastRollupTime', time(s.lastRollupTime)),
          s.summary
            ? el(
                'ServerSummary',
                undefined,
                serverSummaryFields.map((f) => textEl(f, s.summary![f])),
              )
            : '',
          el('ClientSummaries'),
        ]),
      ),
    ),
  ]);
}

// --- RollupComputers ------------------------------------------------------------------------------------------

const str = (n: number) => stringParser(n);
const optInt = (e: XmlElement, name: string, p: string) => attr(e, name, p, nonNegative);

function decodeDetails(e: XmlElement, path: string, limits: RollupLimits): RollupComputerDetails {
  const s = (name: string, max: number) => attr(e, name, path, str(max));
  return {
    targetGroupIds:
      readArray(e, ns, 'TargetGroupIdList', `${path}.TargetGroupIdList`, guid, {
        maxLength: limits.groupsPerComputer,
      }) ?? [],
    requestedTargetGroupNames:
      readArray(e, ns, 'RequestedTargetGroupNames', `${path}.RequestedTargetGroupNames`, str(256), {
        maxLength: limits.groupsPerComputer,
      }) ?? [],
    ipAddress: s('IPAddress', 64),
    fullDomainName: s('FullDomainName', 255),
    osMajor: optInt(e, 'OSMajorVersion', path),
    osMinor: optInt(e, 'OSMinorVersion', path),
    osBuild: optInt(e, 'OSBuildNumber', path),
    osServicePackMajor: optInt(e, 'OSServicePackMajorNumber', path),
    osServicePackMinor: optInt(e, 'OSServicePackMinorNumber', path),
    osLocale: s('OSLocale', 32),
    osFamily: s('OSFamily', 64),
    osDescription: s('OSDescription', 256),
    computerMake: s('ComputerMake', 64),
    computerModel: s('ComputerModel', 64),
    biosVersion: s('BiosVersion', 64),
    biosName: s('BiosName', 64),
    processorArchitecture: s('ProcessorArchitecture', 50),
    clientVersion: s('ClientVersion', 20),
  };
}

export function decodeRollupComputersRequest(
  op: XmlElement,
  limits: RollupLimits = defaultRollupLimits,
): RollupComputersRequest {
  expectOp(op, 'RollupComputers');
  const clientTime = readRequired(op, ns, 'clientTime', 'clientTime', parseDateTime);
  const computers = listItems(op, 'computers', 'computers', limits.computersBatch).map((c, i) => {
    const p = `computers[${i}]`;
    const details = childElement(c, ns, 'Details');
    const result = requiredAttr(c, 'LastSyncResult', p, nonNegative);
    if (result > 2) throw invalidParameter(`${p}.LastSyncResult`, 'not 0, 1 or 2');
    return {
      computerId: requiredAttr(c, 'ComputerId', p, str(256)).trim(),
      lastSyncTime: requiredAttr(c, 'LastSyncTime', p, rollupTime),
      lastSyncResult: result,
      lastReportedRebootTime: attr(c, 'LastReportedRebootTime', p, rollupTime) ?? null,
      lastReportedStatusTime: attr(c, 'LastReportedStatusTime', p, rollupTime) ?? null,
      lastInventoryTime: attr(c, 'LastInventoryTime', p, rollupTime) ?? null,
      parentServerId: requiredAttr(c, 'ParentServerId', p, guid),
      details: details ? decodeDetails(details, `${p}.Details`, limits) : undefined,
    };
  });
  for (const c of computers)
    if (c.computerId === '') throw invalidParameter('computers.ComputerId', 'empty computer id');
  return { clientTime, computers };
}

function detailsAttrs(d: RollupComputerDetails): Record<string, string | number | undefined> {
  return {
    IPAddress: d.ipAddress,
    FullDomainName: d.fullDomainName,
    OSMajorVersion: d.osMajor,
    OSMinorVersion: d.osMinor,
    OSBuildNumber: d.osBuild,
    OSServicePackMajorNumber: d.osServicePackMajor,
    OSServicePackMinorNumber: d.osServicePackMinor,
    OSLocale: d.osLocale,
    OSFamily: d.osFamily,
    OSDescription: d.osDescription,
    ComputerMake: d.computerMake,
    ComputerModel: d.computerModel,
    BiosVersion: d.biosVersion,
    BiosName: d.biosName,
    ProcessorArchitecture: d.processorArchitecture,
    ClientVersion: d.clientVersion,
  };
}

export function encodeRollupComputersRequest(r: RollupComputersRequest): string {
  return el('RollupComputers', { xmlns: ns }, [
    fixedCookie,
    textEl('clientTime', r.clientTime.toISOString()),
    el(
      'computers',
      undefined,
      r.computers.map((c) =>
        el(
          'ComputerRollupInfo',
          {
            ComputerId: c.computerId,
            LastSyncTime: time(c.lastSyncTime),
            LastSyncResult: c.lastSyncResult,
            LastReportedRebootTime: time(c.lastReportedRebootTime),
            LastReportedStatusTime: time(c.lastReportedStatusTime),
            LastInventoryTime: time(c.lastInventoryTime),
            ParentServerId: c.parentServerId,
          },
          c.details
            ? [
                el('Details', detailsAttrs(c.details), [
                  el(
                    'TargetGroupIdList',
                    undefined,
                    c.details.targetGroupIds.map((g) => textEl('guid', g)),
                  ),
                  el(
                    'RequestedTargetGroupNames',
                    undefined,
                    c.details.requestedTargetGroupNames.map((g) => textEl('string', g)),
                  ),
                ]),
              ]
            : [],
        ),
      ),
    ),
  ]);
}

// --- GetOutOfSyncComputers ------------------------------------------------------------------------------------

export function decodeGetOutOfSyncComputersRequest(
  op: XmlElement,
  limits: RollupLimits = defaultRollupLimits,
): GetOutOfSyncComputersRequest {
  expectOp(op, 'GetOutOfSyncComputers');
  return {
    parentServerId: readRequired(op, ns, 'parentServerId', 'parentServerId', guid),
    lastRollupNumbers: listItems(op, 'lastRollupNumbers', 'lastRollupNumbers', limits.outOfSyncBatch).map(
      (n, i) => ({
        computerId: readRequired(n, ns, 'ComputerId', `lastRollupNumbers[${i}].ComputerId`, str(256)).trim(),
        rollupNumber: readRequired(
          n,
          ns,
          'RollupNumber',
          `lastRollupNumbers[${i}].RollupNumber`,
          nonNegative,
        ),
      }),
    ),
  };
}

export function encodeGetOutOfSyncComputersRequest(r: GetOutOfSyncComputersRequest): string {
  return el('GetOutOfSyncComputers', { xmlns: ns }, [
    fixedCookie,
    textEl('parentServerId', r.parentServerId),
    el(
      'lastRollupNumbers',
      undefined,
      r.lastRollupNumbers.map((n) =>
        el('ComputerLastRollupNumber', undefined, [
          textEl('ComputerId', n.computerId),
          textEl('RollupNumber', n.rollupNumber),
        ]),
      ),
    ),
  ]);
}

// --- RollupComputerStatus -------------------------------------------------------------------------------------

export function decodeRollupComputerStatusRequest(
  op: XmlElement,
  limits: RollupLimits = defaultRollupLimits,
): RollupComputerStatusRequest {
  expectOp(op, 'RollupComputerStatus');
  const clientTime = readRequired(op, ns, 'clientTime', 'clientTime', parseDateTime);
  const parentServerId = readRequired(op, ns, 'parentServerId', 'parentServerId', guid);
  let statusBudget = limits.updateStatusPerRequest;
  const computers = listItems(op, 'computers', 'computers', limits.computerStatusBatch).map((c, i) => {
    const p = `computers[${i}]`;
    const max = Math.min(limits.updateStatusPerComputer, statusBudget);
    const updateStatus = listItems(c, 'UpdateStatus', `${p}.UpdateStatus`, max).map((u, j) => ({
      updateId: readRequired(u, ns, 'UpdateId', `${p}.UpdateStatus[${j}].UpdateId`, guid),
      state: readRequired(u, ns, 'SummarizationState', `${p}.UpdateStatus[${j}].SummarizationState`, state),
      lastChangeTime: readRequired(
        u,
        ns,
        'LastChangeTime',
        `${p}.UpdateStatus[${j}].LastChangeTime`,
        rollupTime,
      ),
    }));
    statusBudget -= updateStatus.length;
    const rollupNumber = readRequired(c, ns, 'RollupNumber', `${p}.RollupNumber`, nonNegative);
    if (rollupNumber < 1) throw invalidParameter(`${p}.RollupNumber`, 'must be at least 1');
    return {
      instanceId: readRequired(c, ns, 'InstanceId', `${p}.InstanceId`, guid),
      computerId: readRequired(c, ns, 'ComputerId', `${p}.ComputerId`, str(256)).trim(),
      effectiveLastDetectionTime: readRequired(
        c,
        ns,
        'EffectiveLastDetectionTime',
        `${p}.EffectiveLastDetectionTime`,
        rollupTime,
      ),
      rollupNumber,
      isFullRollup: readRequired(c, ns, 'IsFullRollup', `${p}.IsFullRollup`, parseBoolean),
      updateStatus,
    };
  });
  return { clientTime, parentServerId, computers };
}

export function encodeRollupComputerStatusRequest(r: RollupComputerStatusRequest): string {
  return el('RollupComputerStatus', { xmlns: ns }, [
    fixedCookie,
    textEl('clientTime', r.clientTime.toISOString()),
    textEl('parentServerId', r.parentServerId),
    el(
      'computers',
      undefined,
      r.computers.map((c) =>
        el('ComputerStatusRollupInfo', undefined, [
          textEl('InstanceId', c.instanceId),
          textEl('ComputerId', c.computerId),
          textEl('EffectiveLastDetectionTime', time(c.effectiveLastDetectionTime)),
          textEl('RollupNumber', c.rollupNumber),
          textEl('IsFullRollup', c.isFullRollup ? 'true' : 'false'),
          el(
            'UpdateStatus',
            undefined,
            c.updateStatus.map((u) =>
              el('ComputerStatusRollupUpdateStatus', undefined, [
                textEl('UpdateId', u.updateId),
                textEl('SummarizationState', u.state),
                textEl('LastChangeTime', time(u.lastChangeTime)),
              ]),
            ),
          ),
        ]),
      ),
    ),
  ]);
}
