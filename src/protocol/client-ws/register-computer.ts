import { parseDateTime, parseInt32, readOptional, type ItemParser } from '../soap/index.js';
import { childElement, el, invalidParameter, type XmlElement } from '../xml/index.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { decodeRequestCookie, type SessionCookie } from './session-cookie.js';
import { expectOperation, trimmedStringParser } from './wire.js';

/**
 * What a computer says about itself (`computerInfo`, wire order in element-order.ts `computerInfoOrder`).
 * Every field is optional: the scripted driver in the wsus-m0 capture omitted ten of them and WSUS accepted.
 * REAL native values: `processorArchitecture` `AMD64` (the driver sent `9`), `osDescription` "Windows 10 Pro" on
 * Windows 11 (use osBuildNumber >= 22000), newProductType 48, mobileOperator "Not Present".
 */
export interface ComputerInfo {
  readonly dnsName: string | undefined;
  readonly osMajorVersion: number | undefined;
  readonly osMinorVersion: number | undefined;
  readonly osBuildNumber: number | undefined;
  readonly osServicePackMajorNumber: number | undefined;
  readonly osServicePackMinorNumber: number | undefined;
  readonly osLocale: string | undefined;
  readonly computerManufacturer: string | undefined;
  readonly computerModel: string | undefined;
  readonly biosVersion: string | undefined;
  readonly biosName: string | undefined;
  readonly biosReleaseDate: Date | undefined;
  readonly processorArchitecture: string | undefined;
  readonly suiteMask: number | undefined;
  readonly oldProductType: number | undefined;
  readonly newProductType: number | undefined;
  readonly systemMetrics: number | undefined;
  readonly clientVersionMajorNumber: number | undefined;
  readonly clientVersionMinorNumber: number | undefined;
  readonly clientVersionBuildNumber: number | undefined;
  readonly clientVersionQfeNumber: number | undefined;
  readonly osDescription: string | undefined;
  readonly oem: string | undefined;
  readonly deviceType: string | undefined;
  readonly firmwareVersion: string | undefined;
  readonly mobileOperator: string | undefined;
}

export interface RegisterComputerRequest {
  readonly cookie: SessionCookie;
  readonly computer: ComputerInfo;
}

export function decodeRegisterComputerRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): RegisterComputerRequest {
  expectOperation(op, clientNs, 'RegisterComputer');
  const cookie = decodeRequestCookie(op, clientNs, limits.maxCookieBytes);
  const info = childElement(op, clientNs, 'computerInfo');
  if (!info) throw invalidParameter('computerInfo', 'missing element computerInfo');
  const name = trimmedStringParser(limits.maxNameString);
  const short = trimmedStringParser(limits.maxShortString);
  const s = (local: string, p: ItemParser<string> = name): string | undefined =>
    readOptional(info, clientNs, local, `computerInfo.${local}`, p);
  const i = (local: string): number | undefined =>
    readOptional(info, clientNs, local, `computerInfo.${local}`, parseInt32);
  return {
    cookie,
    computer: {
      dnsName: s('DnsName'),
      osMajorVersion: i('OSMajorVersion'),
      osMinorVersion: i('OSMinorVersion'),
      osBuildNumber: i('OSBuildNumber'),
      osServicePackMajorNumber: i('OSServicePackMajorNumber'),
      osServicePackMinorNumber: i('OSServicePackMinorNumber'),
      osLocale: s('OSLocale', short),
      computerManufacturer: s('ComputerManufacturer'),
      computerModel: s('ComputerModel'),
      biosVersion: s('BiosVersion'),
      biosName: s('BiosName'),
      biosReleaseDate: readOptional(
        info,
        clientNs,
        'BiosReleaseDate',
        'computerInfo.BiosReleaseDate',
        parseDateTime,
      ),
      processorArchitecture: s('ProcessorArchitecture', short),
      suiteMask: i('SuiteMask'),
      oldProductType: i('OldProductType'),
      newProductType: i('NewProductType'),
      systemMetrics: i('SystemMetrics'),
      clientVersionMajorNumber: i('ClientVersionMajorNumber'),
      clientVersionMinorNumber: i('ClientVersionMinorNumber'),
      clientVersionBuildNumber: i('ClientVersionBuildNumber'),
      clientVersionQfeNumber: i('ClientVersionQfeNumber'),
      osDescription: s('OSDescription'),
      oem: s('OEM'),
      deviceType: s('DeviceType'),
      firmwareVersion: s('FirmwareVersion'),
      mobileOperator: s('MobileOperator'),
    },
  };
}

/** REAL: an empty `<RegisterComputerResponse/>` (no Result element). */
export function encodeRegisterComputerResponse(): string {
  return el('RegisterComputerResponse', { xmlns: clientNs });
}
