/**
 * What a simulated Windows Update Agent (test/helpers/simulated-client.ts) learns from the wire answers of
 * WuspClient: the facts of a Core fragment and the delivered-revision shape.
 */
import type { DeliveredRevision } from '../../../src/catalog/index.js';
import { coreFacts, SimulatedClient, type ScanReport } from '../../helpers/simulated-client.js';
import type { UpdateInfoOut, WuspClient } from './wusp-client.js';

/** The Core-fragment facts, from the simulated client's own module (one parser). */
export { coreFacts };

export const toDelivered = (u: UpdateInfoOut): DeliveredRevision => ({
  revisionId: u.id,
  isLeaf: u.isLeaf,
  deployment: {
    id: u.deploymentId,
    action: u.action as DeliveredRevision['deployment']['action'],
    lastChangeAt: Date.parse(u.lastChangeTime),
    isAssigned: true,
  },
});

/** The simulated WUA's scan over a WuspClient session: the report and each delivered revision's XML. */
export async function simulatedScan(
  wua: WuspClient,
): Promise<{ report: ScanReport; xmlById: Map<number, string> }> {
  const xmlById = new Map<number, string>();
  const sim = new SimulatedClient({
    call: async (req) => {
      const a = await wua.sync({
        installed: req.installedNonLeafRevisionIds ?? [],
        other: req.otherCachedRevisionIds ?? [],
      });
      for (const u of a.newUpdates) xmlById.set(u.id, u.xml);
      return {
        newUpdates: a.newUpdates.map(toDelivered),
        changedUpdates: a.changed.map(toDelivered),
        outOfScopeRevisionIds: a.outOfScope,
        truncated: a.truncated,
        driverSyncNotNeeded: a.driverSyncNotNeeded,
        anchor: 0,
      };
    },
    facts: (id) => {
      const xml = xmlById.get(id);
      return xml === undefined ? undefined : coreFacts(xml);
    },
  });
  return { report: await sim.scan(), xmlById };
}
