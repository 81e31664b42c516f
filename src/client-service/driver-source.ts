import type { DriverCandidate, DriverPassDevice } from '../catalog/index.js';
import type { SystemSpecDevice } from '../protocol/client-ws/index.js';
import { driverDate, packDriverVersion } from '../protocol/update-xml/index.js';

/** The driver metadata port of the client service (adapter: storage-adapters.ts). */
export interface DriverSource {
  /** The driver rows for these device ids (hardware and compatible ids, any case). */
  candidates(ids: readonly string[]): Promise<DriverCandidate[]>;
  /** Non-category prerequisite clauses per revision. */
  prerequisites(revisionIds: readonly number[]): Promise<ReadonlyMap<number, readonly (readonly string[])[]>>;
}

/** An installed driver whose date or version we cannot read is never replaced: nothing ranks above this. */
const unbeatable = { verDate: '9999-12-31', verVersion: 'ffffffffffffffff' } as const;

/** The wire devices in ranking terms: hardware ids then compatible ids, the installed driver normalized. */
export function driverPassDevices(devices: readonly SystemSpecDevice[]): DriverPassDevice[] {
  return devices.map((d) => {
    const inst = d.installedDriver;
    const ids = [...d.hardwareIds, ...d.compatibleIds];
    if (inst === undefined) return { ids };
    const verDate = inst.verDate === undefined ? undefined : driverDate(inst.verDate);
    const verVersion = inst.verVersion === undefined ? undefined : packDriverVersion(inst.verVersion);
    return {
      ids,
      installed:
        verDate !== undefined && verVersion !== undefined
          ? { matchedId: inst.matchingId, verDate, verVersion }
          : { matchedId: inst.matchingId, ...unbeatable },
      installedClass: inst.class,
      installedProvider: inst.provider,
      installedManufacturer: inst.manufacturer,
    };
  });
}
