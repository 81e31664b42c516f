import type { UpdateIdentity } from '../../domain/index.js';
import {
  parseDateTime,
  parseGuid,
  parseInt32,
  readArray,
  readOptional,
  readRequired,
  stringParser,
  wsusNamespaces,
  type ItemParser,
} from '../soap/index.js';
import { childElement, el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';
import {
  complexArrayItems,
  decodeRequestCookie,
  defaultClientWsLimits,
  expectOperation,
  trimmedStringParser,
  type ClientWsLimits,
  type SessionCookie,
} from '../client-ws/index.js';

/** Reporting shares its namespace with ServerSync. */
export const reportingNs = wsusNamespaces.softwareDistribution;

export interface ReportedOsVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
  readonly servicePackMajor: number;
  readonly servicePackMinor: number;
}

/**
 * One client event (docs/protocol/client.md §1.4, §1.11). Every string is untrusted text (CVE-2025-59287's second sink
 * was reporting data): stored as text, length-bounded, never interpreted beyond the documented `Key=Value`
 * and 156 list forms. Elements we do not list (e.g. `AppName` inside BasicData, PrivateData) are ignored.
 */
export interface ReportedEvent {
  /** `TargetID/Sid`: the SusClientId for a client (lower-cased when it is a GUID, else kept as sent). */
  readonly targetId: string;
  readonly sequenceNumber: number;
  readonly timeAtTarget: Date;
  /** Fresh GUID per event: the de-duplication key. */
  readonly eventInstanceId: string;
  readonly namespaceId: number;
  readonly eventId: number;
  readonly sourceId: number;
  /** Zero GUID / 0 when the event is about no update. */
  readonly update: UpdateIdentity;
  /** Signed int32 (e.g. -2145099769 = 0x80246007). */
  readonly win32HResult: number;
  readonly replacementStrings: readonly string[];
  /** `Key=Value` strings in the order sent (see miscDataValue and parseStatusLists). */
  readonly miscData: readonly string[];
  readonly computerBrand: string | undefined;
  readonly computerModel: string | undefined;
  readonly biosRevision: string | undefined;
  readonly processorArchitecture: string | undefined;
  readonly osVersion: ReportedOsVersion | undefined;
  readonly osLocaleId: number | undefined;
}

export interface ReportEventBatchRequest {
  readonly cookie: SessionCookie;
  readonly clientTime: Date | undefined;
  readonly events: readonly ReportedEvent[];
}

const zeroUpdateId = '00000000-0000-0000-0000-000000000000';
const maxSafe = Number.MAX_SAFE_INTEGER;

/** Sequence numbers are 64-bit on the wire; we accept non-negative safe integers. */
const parseSequenceNumber: ItemParser<number> = (text, path) => {
  const t = text.trim();
  if (!/^\+?[0-9]{1,16}$/.test(t)) throw invalidParameter(path, 'not a sequence number');
  const n = Number(t);
  if (n > maxSafe) throw invalidParameter(path, 'sequence number out of range');
  return n;
};

/** GUIDs lower-cased; other target ids (none seen) kept as sent, bounded. */
function targetIdParser(maxLength: number): ItemParser<string> {
  const read = trimmedStringParser(maxLength);
  return (text, path) => {
    const t = read(text, path);
    if (t === '') throw invalidParameter(path, 'empty');
    return /^[0-9a-fA-F]{8}-/.test(t) ? parseGuid(t, path) : t;
  };
}

/**
 * Informational names (ComputerModel, BiosRevision...): cut to `maxLength`, never refused. A fault would
 * make the client resend the whole batch forever for a field nothing decides on.
 */
function cutNameParser(maxLength: number): ItemParser<string> {
  return (text) => text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '').slice(0, maxLength);
}

function decodeEvent(ev: XmlElement, limits: ClientWsLimits): ReportedEvent {
  const ns = reportingNs;
  const path = 'eventBatch.ReportingEvent';
  const basic = childElement(ev, ns, 'BasicData');
  if (!basic) throw invalidParameter(`${path}.BasicData`, 'missing element BasicData');
  const b = (name: string): string => `${path}.BasicData.${name}`;
  const target = childElement(basic, ns, 'TargetID');
  if (!target) throw invalidParameter(b('TargetID'), 'missing element TargetID');
  const updateEl = childElement(basic, ns, 'UpdateID');
  const update: UpdateIdentity = updateEl
    ? {
        updateId: readOptional(updateEl, ns, 'UpdateID', b('UpdateID.UpdateID'), parseGuid) ?? zeroUpdateId,
        revisionNumber:
          readOptional(updateEl, ns, 'RevisionNumber', b('UpdateID.RevisionNumber'), parseInt32) ?? 0,
      }
    : { updateId: zeroUpdateId, revisionNumber: 0 };

  const ext = childElement(ev, ns, 'ExtendedData');
  const x = (name: string): string => `${path}.ExtendedData.${name}`;
  const eventString = stringParser(limits.maxEventString);
  const name = cutNameParser(limits.maxNameString);
  let osVersion: ReportedOsVersion | undefined;
  const osEl = ext ? childElement(ext, ns, 'OSVersion') : undefined;
  if (osEl) {
    const v = (n: string): number => readOptional(osEl, ns, n, x(`OSVersion.${n}`), parseInt32) ?? 0;
    osVersion = {
      major: v('Major'),
      minor: v('Minor'),
      build: v('Build'),
      revision: v('Revision'),
      servicePackMajor: v('ServicePackMajor'),
      servicePackMinor: v('ServicePackMinor'),
    };
  }
  const opt = (n: string): string | undefined => (ext ? readOptional(ext, ns, n, x(n), name) : undefined);
  return {
    targetId: readRequired(target, ns, 'Sid', b('TargetID.Sid'), targetIdParser(limits.maxNameString)),
    sequenceNumber: readOptional(basic, ns, 'SequenceNumber', b('SequenceNumber'), parseSequenceNumber) ?? 0,
    timeAtTarget: readRequired(basic, ns, 'TimeAtTarget', b('TimeAtTarget'), parseDateTime),
    eventInstanceId: readRequired(basic, ns, 'EventInstanceID', b('EventInstanceID'), parseGuid),
    namespaceId: readRequired(basic, ns, 'NamespaceID', b('NamespaceID'), parseInt32),
    eventId: readRequired(basic, ns, 'EventID', b('EventID'), parseInt32),
    sourceId: readRequired(basic, ns, 'SourceID', b('SourceID'), parseInt32),
    update,
    win32HResult: readOptional(basic, ns, 'Win32HResult', b('Win32HResult'), parseInt32) ?? 0,
    replacementStrings: ext
      ? (readArray(ext, ns, 'ReplacementStrings', x('ReplacementStrings'), eventString, {
          maxLength: limits.maxReplacementStrings,
        }) ?? [])
      : [],
    miscData: ext
      ? (readArray(ext, ns, 'MiscData', x('MiscData'), eventString, {
          maxLength: limits.maxMiscDataStrings,
        }) ?? [])
      : [],
    computerBrand: opt('ComputerBrand'),
    computerModel: opt('ComputerModel'),
    biosRevision: opt('BiosRevision'),
    processorArchitecture: opt('ProcessorArchitecture'),
    osVersion,
    osLocaleId: ext ? readOptional(ext, ns, 'OSLocaleID', x('OSLocaleID'), parseInt32) : undefined,
  };
}

/**
 * Decodes `ReportEventBatch`. The number of events is not capped: a client reports one event per update it
 * evaluated (1,670 seen in one batch), it resends a refused batch forever, and the request body limit and the
 * reporting endpoint's XML element bound (reportingXmlLimits) already bound the batch by bytes.
 */
export function decodeReportEventBatchRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): ReportEventBatchRequest {
  expectOperation(op, reportingNs, 'ReportEventBatch');
  const batch = childElement(op, reportingNs, 'eventBatch');
  const items = batch ? complexArrayItems(batch, 'eventBatch', Number.POSITIVE_INFINITY) : [];
  return {
    cookie: decodeRequestCookie(op, reportingNs, limits.maxCookieBytes),
    clientTime: readOptional(op, reportingNs, 'clientTime', 'clientTime', parseDateTime),
    events: items.map((ev) => decodeEvent(ev, limits)),
  };
}

/** REAL: always `true` (events are stored, never trusted; docs/protocol/client.md §1.11). */
export function encodeReportEventBatchResponse(accepted = true): string {
  return el('ReportEventBatchResponse', { xmlns: reportingNs }, [textEl('ReportEventBatchResult', accepted)]);
}

/** The value of the first `key=…` MiscData string, or undefined. Keys are case-sensitive (`c` != `C`). */
export function miscDataValue(miscData: readonly string[], key: string): string | undefined {
  const prefix = `${key}=`;
  for (const s of miscData) if (s.startsWith(prefix)) return s.slice(prefix.length);
  return undefined;
}
