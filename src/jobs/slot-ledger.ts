/**
 * Which calendar slot a single-runner job last ran, shared by every node: the lease makes runs exclusive in
 * time, the ledger makes a slot run once. Nodes jitter independently, so without it a node whose timer fires
 * after another node finished (and released the lease) would run the same slot a second time.
 */
export interface SlotLedger {
  lastSlot(job: string): Promise<number | undefined>;
  markSlot(job: string, slotAt: number): Promise<void>;
}

/** The ledger over the settings table (`jobs.<name>.lastSlot`); written only while holding the job's lease. */
export function settingsSlotLedger(settings: {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, updatedBy?: string | null): Promise<void>;
}): SlotLedger {
  const key = (job: string) => `jobs.${job}.lastSlot`;
  return {
    lastSlot: async (job) => {
      const v = await settings.get<unknown>(key(job));
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    },
    markSlot: (job, slotAt) => settings.set(key(job), slotAt, 'scheduler'),
  };
}

/** An in-process ledger (a single node, tests). */
export function memorySlotLedger(): SlotLedger {
  const m = new Map<string, number>();
  return {
    lastSlot: (job) => Promise.resolve(m.get(job)),
    markSlot: (job, slotAt) => {
      m.set(job, slotAt);
      return Promise.resolve();
    },
  };
}
