/**
 * `drv:WindowsDriverMetaData` of a driver update (docs/protocol/upstream.md §U5.2, SPEC MS-WUSP 3.1.1.1: no
 * driver document exists in the captures). One element per hardware id the driver installs on; its
 * attributes are all the client driver pass ranks by.
 */
export interface DriverMetadata {
  /** `@HardwareID`, lower case (PnP ids compare case-insensitively). */
  readonly hardwareId: string;
  /** `@DriverVerDate` as `YYYY-MM-DD`. */
  readonly verDate: string;
  /** `@DriverVerVersion`, four 16-bit parts packed into 64 bits, as 16 hex digits (text order = numeric). */
  readonly verVersion: string;
  readonly class: string | undefined;
  readonly manufacturer: string | undefined;
  readonly provider: string | undefined;
  readonly model: string | undefined;
}

/**
 * Driver metadata elements one document may list. Real driver updates name one to a few hundred hardware ids
 * (an INF's models); a document beyond this is refused whole (quarantine reason `driver_limit`) so a hostile
 * or broken catalog cannot fill the driver index.
 */
export const maxDriverMetadataPerDocument = 10_000;

const maxAttributeLength = 512;
const datePattern = /^(\d{4}-\d{2}-\d{2})/;
const dottedVersion = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/;
const packedVersion = /^\d{1,20}$/;

/**
 * `DriverVerVersion` as the ranking key: the document's dotted `a.b.c.d` (SPEC) or the packed decimal the
 * client sends in `installedDriver` (REAL 2814751477604196 = 10.0.26100.8036). Undefined when malformed.
 */
export function packDriverVersion(text: string): string | undefined {
  const v = text.trim();
  const d = dottedVersion.exec(v);
  if (d !== null) {
    const parts = d.slice(1).map(Number);
    if (parts.some((p) => p > 0xffff)) return undefined;
    return parts.map((p) => p.toString(16).padStart(4, '0')).join('');
  }
  if (!packedVersion.test(v)) return undefined;
  const n = BigInt(v);
  if (n >= 1n << 64n) return undefined;
  return n.toString(16).padStart(16, '0');
}

/** `DriverVerDate` (xs:date or xs:dateTime) as `YYYY-MM-DD`, undefined when malformed. */
export function driverDate(text: string): string | undefined {
  return datePattern.exec(text.trim())?.[1];
}

/**
 * Collects the metadata of one document, keeping at most `maxDriverMetadataPerDocument` entries while still
 * counting the rest (so the verdict can say how many there were without holding them).
 */
export class DriverMetadataCollector {
  readonly entries: DriverMetadata[] = [];
  count = 0;
  /** The first malformed element, if any: the document is invalid. */
  problem: string | undefined;

  add(attr: (name: string) => string | undefined): void {
    this.count++;
    if (this.entries.length >= maxDriverMetadataPerDocument || this.problem !== undefined) return;
    const hardwareId = attr('HardwareID')?.trim();
    const date = attr('DriverVerDate');
    const version = attr('DriverVerVersion');
    if (hardwareId === undefined || hardwareId === '' || hardwareId.length > maxAttributeLength) {
      this.problem = 'WindowsDriverMetaData without a usable HardwareID';
      return;
    }
    const verDate = date === undefined ? undefined : driverDate(date);
    const verVersion = version === undefined ? undefined : packDriverVersion(version);
    if (verDate === undefined || verVersion === undefined) {
      this.problem = `WindowsDriverMetaData ${hardwareId.slice(0, 80)}: bad DriverVerDate or DriverVerVersion`;
      return;
    }
    const text = (name: string): string | undefined => attr(name)?.slice(0, maxAttributeLength);
    this.entries.push({
      hardwareId: hardwareId.toLowerCase(),
      verDate,
      verVersion,
      class: text('Class'),
      manufacturer: text('Manufacturer'),
      provider: text('Provider'),
      model: text('Model'),
    });
  }
}
