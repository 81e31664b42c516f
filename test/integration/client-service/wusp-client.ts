/**
 * A minimal Windows-Update-Agent-shaped SOAP client for the tests: requests written the way the native
 * client writes them (s: envelope, default namespace on the operation, literal arrays, SOAPAction quoted),
 * answers read by namespace URI. It parses what comes back instead of trusting it.
 */
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';
import type { Harness, HttpResult } from './harness.js';

export const clientNs = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';
export const simpleAuthNs = 'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService';
export const reportingNs = 'http://www.microsoft.com/SoftwareDistribution';
export const clientPath = '/ClientWebService/client.asmx';
export const simpleAuthPath = '/SimpleAuthWebService/SimpleAuth.asmx';
export const reportingPath = '/ReportingWebService/ReportingWebService.asmx';

export function envelope(op: string, ns: string, inner: string): string {
  return `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><${op} xmlns="${ns}">${inner}</${op}></s:Body></s:Envelope>`;
}

export function kid(el: XmlElement, local: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === 'element' && c.local === local) return c;
  return undefined;
}

export function kids(el: XmlElement, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children)
    if (c.kind === 'element' && (local === undefined || c.local === local)) out.push(c);
  return out;
}

export function text(el: XmlElement | undefined): string {
  if (el === undefined) return '';
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

/** The single element in soap:Body of an answer. */
export function payloadOf(body: string): XmlElement {
  const root = parseXml(body);
  const b = kid(root, 'Body');
  const p = b ? kids(b)[0] : undefined;
  if (!p) throw new Error(`no SOAP body payload in ${body.slice(0, 200)}`);
  return p;
}

export class SoapFaultError extends Error {
  constructor(
    readonly errorCode: string | undefined,
    readonly parameter: string | undefined,
    readonly result: HttpResult,
  ) {
    super(`SOAP fault ${errorCode ?? '?'} ${parameter ?? ''}`);
  }
}

export interface Cookie {
  expiration: string;
  data: string;
}

export const cookieXml = (c: Cookie, name = 'cookie'): string =>
  `<${name}><Expiration>${c.expiration}</Expiration><EncryptedData>${c.data}</EncryptedData></${name}>`;

const ints = (name: string, ids: readonly number[] | undefined): string =>
  ids === undefined ? '' : `<${name}>${ids.map((i) => `<int>${i}</int>`).join('')}</${name}>`;

export interface UpdateInfoOut {
  id: number;
  action: string;
  isLeaf: boolean;
  deploymentId: number;
  lastChangeTime: string;
  deploymentFields: string[];
  xml: string;
}

export interface SyncAnswer {
  newUpdates: UpdateInfoOut[];
  outOfScope: number[];
  changed: UpdateInfoOut[];
  truncated: boolean;
  driverSyncNotNeeded: boolean;
  cookie: Cookie;
  result: XmlElement;
}

function readUpdateInfo(u: XmlElement): UpdateInfoOut {
  const d = kid(u, 'Deployment')!;
  return {
    id: Number(text(kid(u, 'ID'))),
    action: text(kid(d, 'Action')),
    isLeaf: text(kid(u, 'IsLeaf')) === 'true',
    deploymentId: Number(text(kid(d, 'ID'))),
    lastChangeTime: text(kid(d, 'LastChangeTime')),
    deploymentFields: kids(d).map((k) => k.local),
    xml: text(kid(u, 'Xml')),
  };
}

export class WuspClient {
  cookie: Cookie | undefined;
  lastChange = '';
  calls = 0;

  constructor(
    readonly h: Harness,
    readonly clientId: string,
    readonly dnsName = 'pc1.example.test',
  ) {}

  async call(path: string, op: string, ns: string, inner: string): Promise<XmlElement> {
    this.calls++;
    const r = await this.h.post(path, envelope(op, ns, inner), { soapaction: `"${ns}/${op}"` });
    if (r.status !== 200) {
      const f = decodeSoapFault(r.body);
      throw new SoapFaultError(f?.errorCode, f?.message, r);
    }
    return payloadOf(r.body);
  }

  async handshake(targetGroups?: string): Promise<void> {
    const cfg = await this.call(clientPath, 'GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>');
    this.lastChange = text(kid(kid(cfg, 'GetConfigResult')!, 'LastChange'));
    const group = targetGroups === undefined ? '' : `<targetGroupName>${targetGroups}</targetGroupName>`;
    const auth = await this.call(
      simpleAuthPath,
      'GetAuthorizationCookie',
      simpleAuthNs,
      `<clientId>${this.clientId}</clientId>${group}<dnsName>${this.dnsName}</dnsName>`,
    );
    const authData = text(kid(kid(auth, 'GetAuthorizationCookieResult')!, 'CookieData'));
    const gc = await this.call(
      clientPath,
      'GetCookie',
      clientNs,
      `<authCookies><AuthorizationCookie><PlugInId>SimpleTargeting</PlugInId><CookieData>${authData}</CookieData></AuthorizationCookie></authCookies>` +
        `<oldCookie><Expiration>${new Date().toISOString()}</Expiration></oldCookie><lastChange>${this.lastChange}</lastChange>` +
        `<currentTime>${new Date().toISOString()}</currentTime><protocolVersion>2.90</protocolVersion>`,
    );
    const r = kid(gc, 'GetCookieResult')!;
    this.cookie = { expiration: text(kid(r, 'Expiration')), data: text(kid(r, 'EncryptedData')) };
  }

  async register(): Promise<void> {
    await this.call(
      clientPath,
      'RegisterComputer',
      clientNs,
      `${cookieXml(this.cookie!)}<computerInfo><DnsName>${this.dnsName}</DnsName><OSMajorVersion>10</OSMajorVersion><OSMinorVersion>0</OSMinorVersion><OSBuildNumber>26200</OSBuildNumber><OSServicePackMajorNumber>0</OSServicePackMajorNumber><OSServicePackMinorNumber>0</OSServicePackMinorNumber><OSLocale>en-US</OSLocale><ComputerManufacturer>QEMU</ComputerManufacturer><ComputerModel>Standard PC</ComputerModel><ProcessorArchitecture>AMD64</ProcessorArchitecture><ClientVersionMajorNumber>1507</ClientVersionMajorNumber><ClientVersionMinorNumber>2601</ClientVersionMinorNumber><ClientVersionBuildNumber>30012</ClientVersionBuildNumber><ClientVersionQfeNumber>0</ClientVersionQfeNumber><OSDescription>Windows 10 Pro</OSDescription></computerInfo>`,
    );
  }

  async sync(p: {
    installed?: readonly number[];
    other?: readonly number[];
    driver?: boolean;
    filter?: readonly string[];
    /** Driver pass: the SystemSpec devices (default: one device with one PCI hardware id). */
    devices?: readonly WuaDevice[];
    cachedDrivers?: readonly number[];
  }): Promise<SyncAnswer> {
    const filter =
      p.filter === undefined
        ? ''
        : `<FilterCategoryIds>${p.filter.map((f) => `<CategoryIdentifier><Id>${f}</Id></CategoryIdentifier>`).join('')}</FilterCategoryIds>`;
    const inner =
      `${cookieXml(this.cookie!)}<parameters><ExpressQuery>false</ExpressQuery>${ints('InstalledNonLeafUpdateIDs', p.installed)}` +
      `${p.driver ? '' : ints('OtherCachedUpdateIDs', p.other)}` +
      `${p.driver ? systemSpecXml(p.devices ?? [{ hardwareIds: ['PCI\\VEN_1234'] }]) : ''}` +
      `${p.cachedDrivers ? ints('CachedDriverIDs', p.cachedDrivers) : ''}` +
      `<SkipSoftwareSync>${p.driver === true}</SkipSoftwareSync>${filter}<NeedTwoGroupOutOfScopeUpdates>true</NeedTwoGroupOutOfScopeUpdates>` +
      `<AlsoPerformRegularSync>true</AlsoPerformRegularSync></parameters>`;
    const resp = await this.call(clientPath, 'SyncUpdates', clientNs, inner);
    const r = kid(resp, 'SyncUpdatesResult')!;
    const nc = kid(r, 'NewCookie')!;
    const answer: SyncAnswer = {
      newUpdates: kids(kid(r, 'NewUpdates') ?? r, 'UpdateInfo').map(readUpdateInfo),
      outOfScope: kids(kid(r, 'OutOfScopeRevisionIDs') ?? r, 'int').map((e) => Number(text(e))),
      changed: kids(kid(r, 'ChangedUpdates') ?? r, 'UpdateInfo').map(readUpdateInfo),
      truncated: text(kid(r, 'Truncated')) === 'true',
      driverSyncNotNeeded: text(kid(r, 'DriverSyncNotNeeded')) === 'true',
      cookie: { expiration: text(kid(nc, 'Expiration')), data: text(kid(nc, 'EncryptedData')) },
      result: r,
    };
    this.cookie = answer.cookie;
    return answer;
  }

  async extended(revisionIds: readonly number[], locales = ['en-US', 'en']) {
    const resp = await this.call(
      clientPath,
      'GetExtendedUpdateInfo',
      clientNs,
      `${cookieXml(this.cookie!)}${ints('revisionIDs', revisionIds)}<infoTypes><XmlUpdateFragmentType>Extended</XmlUpdateFragmentType><XmlUpdateFragmentType>LocalizedProperties</XmlUpdateFragmentType></infoTypes>` +
        `<locales>${locales.map((l) => `<string>${l}</string>`).join('')}</locales>`,
    );
    const r = kid(resp, 'GetExtendedUpdateInfoResult')!;
    return {
      result: r,
      fragments: kids(kid(r, 'Updates') ?? r, 'Update').map((u) => ({
        id: Number(text(kid(u, 'ID'))),
        xml: text(kid(u, 'Xml')),
      })),
      locations: kids(kid(r, 'FileLocations') ?? r, 'FileLocation').map((f) => ({
        digest: Buffer.from(text(kid(f, 'FileDigest')), 'base64'),
        url: text(kid(f, 'Url')),
      })),
      outOfScope: kids(kid(r, 'OutOfScopeRevisionIDs') ?? r, 'int').map((e) => Number(text(e))),
    };
  }

  async report(events: string): Promise<boolean> {
    const resp = await this.call(
      reportingPath,
      'ReportEventBatch',
      reportingNs,
      `${cookieXml(this.cookie!)}<clientTime>${new Date().toISOString()}</clientTime><eventBatch>${events}</eventBatch>`,
    );
    return text(kid(resp, 'ReportEventBatchResult')) === 'true';
  }
}

/** One ReportingEvent as WUA writes it (docs/protocol/client.md §1.4). */
export function reportingEvent(e: {
  clientId: string;
  instanceId: string;
  eventId: number;
  updateId?: string;
  revisionNumber?: number;
  hresult?: number;
  miscData?: readonly string[];
  at?: Date;
}): string {
  const misc = (e.miscData ?? []).map((m) => `<string>${m}</string>`).join('');
  return (
    `<ReportingEvent><BasicData><TargetID><Sid>${e.clientId}</Sid></TargetID><SequenceNumber>0</SequenceNumber>` +
    `<TimeAtTarget>${(e.at ?? new Date()).toISOString()}</TimeAtTarget><EventInstanceID>${e.instanceId}</EventInstanceID>` +
    `<NamespaceID>1</NamespaceID><EventID>${e.eventId}</EventID><SourceID>101</SourceID>` +
    `<UpdateID><UpdateID>${e.updateId ?? '00000000-0000-0000-0000-000000000000'}</UpdateID><RevisionNumber>${e.revisionNumber ?? 0}</RevisionNumber></UpdateID>` +
    `<Win32HResult>${e.hresult ?? 0}</Win32HResult></BasicData><ExtendedData><ReplacementStrings/><MiscData>${misc}</MiscData>` +
    `<ComputerBrand>QEMU</ComputerBrand><ComputerModel>Standard PC</ComputerModel><BiosRevision>1.0</BiosRevision>` +
    `<ProcessorArchitecture>Amd64Compatible</ProcessorArchitecture><OSVersion><Major>10</Major><Minor>0</Minor><Build>26200</Build>` +
    `<Revision>0</Revision><ServicePackMajor>0</ServicePackMajor><ServicePackMinor>0</ServicePackMinor></OSVersion><OSLocaleID>1033</OSLocaleID></ExtendedData><PrivateData/></ReportingEvent>`
  );
}

/** A SystemSpec device as the native client writes it (wsus-m0-native/scan/000009): ids specific first. */
export interface WuaDevice {
  readonly hardwareIds: readonly string[];
  readonly compatibleIds?: readonly string[];
  readonly installed?: { matchingId: string; verDate: string; verVersion: string; class?: string };
}

function systemSpecXml(devices: readonly WuaDevice[]): string {
  const strings = (name: string, list: readonly string[]) =>
    `<${name}>${list.map((s) => `<string>${escapeText(s)}</string>`).join('')}</${name}>`;
  const device = (d: WuaDevice) =>
    `<Device>${strings('HardwareIDs', d.hardwareIds)}` +
    (d.compatibleIds ? strings('CompatibleIDs', d.compatibleIds) : '') +
    (d.installed
      ? `<installedDriver><MatchingID>${escapeText(d.installed.matchingId)}</MatchingID><DriverVerDate>${d.installed.verDate}</DriverVerDate>` +
        `<DriverVerVersion>${d.installed.verVersion}</DriverVerVersion><Class>${d.installed.class ?? '{4D36E97D-E325-11CE-BFC1-08002BE10318}'}</Class>` +
        `<MatchingComputerHWID a:nil="true" xmlns:a="http://www.w3.org/2001/XMLSchema-instance"/><DriverRank>16719873</DriverRank></installedDriver>`
      : '') +
    `</Device>`;
  return `<SystemSpec>${devices.map(device).join('')}</SystemSpec>`;
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
