/**
 * What the fleet services need from storage. The storage repositories implement these structurally
 * (`createRepositories(...)`), so the services never import an adapter (docs/architecture.md).
 */

/** Registration / inventory fields in storage terms; omitted fields keep their stored value. */
export interface ComputerUpsert {
  readonly computerId: string;
  readonly dnsName?: string | null;
  readonly ipAddress?: string | null;
  readonly osMajor?: number | null;
  readonly osMinor?: number | null;
  readonly osBuild?: number | null;
  readonly osServicePackMajor?: number | null;
  readonly osServicePackMinor?: number | null;
  readonly osLocale?: string | null;
  readonly osProductType?: number | null;
  readonly osDescription?: string | null;
  readonly computerMake?: string | null;
  readonly computerModel?: string | null;
  readonly biosVersion?: string | null;
  readonly firmwareVersion?: string | null;
  readonly clientVersion?: string | null;
  readonly processorArchitecture?: string | null;
  readonly inventory?: unknown;
}

export interface ComputerStore {
  upsert(input: ComputerUpsert, now?: number): Promise<boolean>;
  get(computerId: string): Promise<{ computerId: string } | undefined>;
  touchLastSync(computerId: string, now?: number): Promise<void>;
  touchLastReport(computerId: string, now?: number): Promise<void>;
  countRegisteredFromSince(ipAddress: string, since: number): Promise<number>;
}

export interface GroupStore {
  list(): Promise<{ groupId: string; name: string; parentGroupId: string | null }[]>;
  setMemberships(
    computerId: string,
    groupIds: readonly string[],
    source: 'server' | 'client',
    now?: number,
  ): Promise<void>;
  groupsOf(computerId: string): Promise<{ groupId: string; source: string }[]>;
}

export interface ClientEventRow {
  readonly eventInstanceId: string;
  readonly computerId: string;
  readonly eventId: number;
  readonly namespaceId: number;
  readonly sourceId?: number | null;
  readonly eventAt: number;
  readonly updateId?: string | null;
  readonly revisionNumber?: number | null;
  readonly win32HResult?: number | null;
  readonly raw: string;
  /** The raw text lost some of the event's strings (storedEventText). */
  readonly isRawTruncated?: boolean;
}

export interface ClientEventStore {
  insertBatch(events: readonly ClientEventRow[], now?: number): Promise<number>;
  rawBytesSince(computerId: string, since: number): Promise<number>;
}

export interface UpdateStatusRow {
  readonly computerId: string;
  readonly updateId: string;
  readonly revisionId?: number | null;
  readonly state: number;
  readonly hresult?: number | null;
  readonly statusAt: number;
}

export interface UpdateStatusStore {
  upsert(statuses: readonly UpdateStatusRow[], now?: number): Promise<void>;
  listForComputer(
    computerId: string,
  ): Promise<{ updateId: string; state: number; statusAt: number; revisionId: number | null }[]>;
}

/** The catalog as reporting sees it: states are recorded only for updates it holds. */
export interface CatalogUpdateStore {
  /** The lower-case ids among `updateIds` that have any stored revision. */
  knownUpdateIds(updateIds: readonly string[]): Promise<Set<string>>;
}

/** Runs `fn` with stores bound to one transaction (so a batch's events and states commit together). */
export type FleetTransaction = <T>(fn: (stores: FleetStores) => Promise<T>) => Promise<T>;

export interface FleetStores {
  readonly computers: ComputerStore;
  readonly groups: GroupStore;
  readonly clientEvents: ClientEventStore;
  readonly updateStatus: UpdateStatusStore;
  readonly revisions: CatalogUpdateStore;
}
