/**
 * What a simulated Windows Update Agent (test/helpers/simulated-client.ts) learns from the wire answers of
 * WuspClient: the facts of a Core fragment and the delivered-revision shape.
 */
import type { DeliveredRevision } from '../../../src/catalog/index.js';
import type { RevisionKind } from '../../../src/domain/index.js';
import {
  SimulatedClient,
  type ScanReport,
  type SimulatedRevisionFacts,
} from '../../helpers/simulated-client.js';
import type { UpdateInfoOut, WuspClient } from './wusp-client.js';

/** What a client learns from a Core fragment: the update id, its kind and its prerequisite clauses. */
export function coreFacts(xml: string): SimulatedRevisionFacts {
  const updateId = /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();
  const type = /UpdateType="([^"]+)"/.exec(xml)?.[1] ?? 'Software';
  const kind: RevisionKind =
    type === 'Category' ? 'category' : type === 'Detectoid' ? 'detectoid' : 'software';
  const pre = /<Prerequisites>(.*?)<\/Prerequisites>/s.exec(xml)?.[1] ?? '';
  const prerequisites: { anyOf: string[] }[] = [];
  const re = /<AtLeastOne[^>]*>(.*?)<\/AtLeastOne>|<UpdateIdentity UpdateID="([^"]+)"[^>]*\/>/gs;
  for (let m = re.exec(pre); m !== null; m = re.exec(pre))
    prerequisites.push({
      anyOf:
        m[2] !== undefined
          ? [m[2].toLowerCase()]
          : [...m[1]!.matchAll(/UpdateID="([^"]+)"/g)].map((x) => x[1]!.toLowerCase()),
    });
  return { updateId, kind, prerequisites };
}

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
