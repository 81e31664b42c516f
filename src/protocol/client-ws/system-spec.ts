import { readArray, readOptional } from '../soap/index.js';
import { childElement, type XmlElement } from '../xml/index.js';
import { clientNs } from './namespaces.js';
import { complexArrayItems, trimmedStringParser } from './wire.js';
import { invalidParameter } from '../xml/index.js';

/** What a driver-pass device says about its installed driver (`installedDriver`), as the ranking needs it. */
export interface InstalledDriver {
  readonly matchingId: string | undefined;
  /** `DriverVerDate` as sent (dateTime); compared by its `YYYY-MM-DD` part. */
  readonly verDate: string | undefined;
  /** `DriverVerVersion` as sent: the packed 64-bit version in decimal (REAL 2814751477604196). */
  readonly verVersion: string | undefined;
  readonly class: string | undefined;
  readonly manufacturer: string | undefined;
  readonly provider: string | undefined;
}

/** One `SystemSpec/Device` (docs/protocol/upstream.md §U5.1): ids most specific first. */
export interface SystemSpecDevice {
  readonly hardwareIds: readonly string[];
  readonly compatibleIds: readonly string[];
  readonly installedDriver: InstalledDriver | undefined;
}

/**
 * Ids per device list. REAL devices send 1-4 hardware ids and up to 7 compatible ids; the bound only keeps one
 * request's driver lookup small (devices x ids), far above any real device.
 */
export const maxIdsPerDevice = 64;
/** Ids of one whole SystemSpec (REAL: about 350 over 70 devices): the bound of one pass's index lookups. */
export const maxIdsPerSystemSpec = 8_192;
const maxIdLength = 512;

/**
 * Decodes `SystemSpec`: only the fields the driver ranking reads; `extensionDrivers`, `DriverRecoveryIDs`,
 * `DeviceFlags`, `DriverRank` and the `MatchingComputerHWID` nil are ignored (unknown elements are, too).
 */
export function decodeSystemSpec(specEl: XmlElement, path: string, maxDevices: number): SystemSpecDevice[] {
  const id = trimmedStringParser(maxIdLength);
  const list = (device: XmlElement, name: string, at: string): string[] =>
    readArray(device, clientNs, name, `${at}.${name}`, id, { maxLength: maxIdsPerDevice }) ?? [];
  let total = 0;
  return complexArrayItems(specEl, path, maxDevices).map((device, i) => {
    const at = `${path}.Device[${i}]`;
    const hardwareIds = list(device, 'HardwareIDs', at);
    const compatibleIds = list(device, 'CompatibleIDs', at);
    total += hardwareIds.length + compatibleIds.length;
    if (total > maxIdsPerSystemSpec)
      throw invalidParameter(path, `more than ${maxIdsPerSystemSpec} hardware and compatible ids`);
    const inst = childElement(device, clientNs, 'installedDriver');
    const text = (name: string): string | undefined =>
      inst && readOptional(inst, clientNs, name, `${at}.installedDriver.${name}`, id);
    return {
      hardwareIds,
      compatibleIds,
      installedDriver: inst
        ? {
            matchingId: text('MatchingID'),
            verDate: text('DriverVerDate'),
            verVersion: text('DriverVerVersion'),
            class: text('Class'),
            manufacturer: text('Manufacturer'),
            provider: text('Provider'),
          }
        : undefined,
    };
  });
}
