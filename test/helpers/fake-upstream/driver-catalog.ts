/**
 * SYNTHETIC driver updates shaped per the specification (MS-WUSP 3.1.1.1, docs/protocol/upstream.md §U5.2; no
 * driver document exists in the captures): `UpdateType="Driver"`, the WindowsDriver handler, one
 * `drv:WindowsDriverMetaData` per hardware id under `ApplicabilityRules/Metadata`, the Drivers classification
 * and a product as category clauses. `buildDriverCatalog` seeds a catalog generatively: `count` drivers spread
 * over `hardwareIdCount` ids, with dates and versions drawn from a seeded generator, so tests and the bench
 * compute the expected ranking from the same model the upstream serves.
 */
import { mulberry32, syntheticGuid } from '../synthetic-catalog.js';
import { syntheticDocument } from './real-catalog.js';

export const driversClassification = 'ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0';
const driverNs = 'http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/WindowsDriver';

export interface SyntheticDriver {
  readonly updateId: string;
  readonly hardwareIds: readonly string[];
  /** `YYYY-MM-DD`. */
  readonly verDate: string;
  /** Dotted four-part version. */
  readonly verVersion: string;
}

/** A PnP id as Windows writes them (upper case, `&` separated). */
export const hardwareIdOf = (n: number): string =>
  `PCI\\VEN_${(0x1000 + n).toString(16).toUpperCase()}&DEV_${(0x2000 + n).toString(16).toUpperCase()}`;

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The document of one driver update. `categories`: the category clauses (product, Drivers). */
export function driverDocument(
  d: SyntheticDriver,
  revision: number,
  o: {
    categories: readonly (readonly string[])[];
    prerequisites?: readonly (readonly string[])[];
    /** Only the attributes the ranking needs (keeps a huge document's size down). */
    lean?: boolean;
  },
): string {
  const base = syntheticDocument(d.updateId, revision, {
    title: `SYNTHETIC (test) driver ${d.updateId}`,
    categoryClauses: o.categories,
    ...(o.prerequisites ? { prerequisites: o.prerequisites } : {}),
  });
  const metadata = d.hardwareIds
    .map((h) =>
      o.lean === true
        ? `<drv:WindowsDriverMetaData HardwareID="${escapeAttr(h)}" DriverVerDate="${d.verDate}" DriverVerVersion="${d.verVersion}"/>`
        : `<drv:WindowsDriverMetaData HardwareID="${escapeAttr(h)}" WhqlDriverID="1" Manufacturer="Contoso" Company="Contoso" Provider="Contoso" DriverVerDate="${d.verDate}" DriverVerVersion="${d.verVersion}" Class="Display" Model="SYNTHETIC adapter" />`,
    )
    .join('');
  const rules = `<upd:ApplicabilityRules><upd:Metadata>${metadata}</upd:Metadata></upd:ApplicabilityRules>`;
  return base
    .replace('UpdateType="Software"', `UpdateType="Driver" ExplicitlyDeployable="true" Handler="${driverNs}"`)
    .replace(`<upd:Update `, `<upd:Update xmlns:drv="${driverNs}" `)
    .replace('</upd:Update>', `${rules}</upd:Update>`);
}

export interface DriverCatalogModel {
  readonly drivers: readonly SyntheticDriver[];
  readonly hardwareIds: readonly string[];
}

/** `count` drivers over `hardwareIdCount` ids (driver i installs on id i mod n), seeded dates and versions. */
export function buildDriverCatalog(count: number, hardwareIdCount: number, seed = 18): DriverCatalogModel {
  const rnd = mulberry32(seed);
  const hardwareIds = Array.from({ length: hardwareIdCount }, (_, n) => hardwareIdOf(n));
  const drivers: SyntheticDriver[] = [];
  for (let i = 0; i < count; i++) {
    const day = Math.floor(rnd() * 3650);
    const date = new Date(Date.UTC(2016, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
    drivers.push({
      updateId: syntheticGuid(i, 0xd7),
      hardwareIds: [hardwareIds[i % hardwareIdCount]!],
      verDate: date,
      // Few distinct versions: equal dates with different versions (and exact ties) occur.
      verVersion: `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 3)}`,
    });
  }
  return { drivers, hardwareIds };
}

/** Version text to a comparable number (four 16-bit parts). */
export const versionKey = (v: string): bigint =>
  v.split('.').reduce((acc, p) => (acc << 16n) | BigInt(p), 0n);
