/**
 * What the reports need from storage. The storage repositories implement these structurally
 * (`createRepositories(handle)`), so src/reports holds no query and imports no adapter (docs/architecture.md).
 */

/** Computers per state, summed over one report line (the state codes are in report-filters.ts). */
export interface StateCounts {
  readonly installed: number;
  readonly needed: number;
  readonly failed: number;
  readonly notApplicable: number;
  readonly noStatus: number;
}

export interface UpdateLine extends StateCounts {
  readonly updateId: string;
  /** The KB number without the `KB` prefix. */
  readonly kb: string | null;
  readonly title: string | null;
  readonly severity: string | null;
  readonly classification: string | null;
  readonly isDeclined: boolean;
  readonly createdMs: number | null;
}

export interface ComputerLine extends StateCounts {
  readonly computerId: string;
  readonly name: string | null;
  readonly ipAddress: string | null;
  readonly os: string | null;
  /** The downstream server a rolled-up computer talks to (reporting roll-up); null for our own clients. */
  readonly parentServerId: string | null;
  readonly lastSyncMs: number | null;
  readonly lastReportMs: number | null;
}

export interface SeverityLine extends StateCounts {
  readonly severity: string | null;
  readonly updates: number;
}

export type ApprovalStateFilter = 'any' | 'any-except-declined' | 'approved' | 'unapproved' | 'declined';

/** The update status query; the text values are lower-case, `groupIds` a group with its subgroups. */
export interface UpdateLinesQuery {
  readonly groupIds?: readonly string[] | undefined;
  readonly classification?: string | undefined;
  readonly product?: string | undefined;
  /** `unspecified`: updates without an MSRC severity. */
  readonly severity?: string | undefined;
  readonly updateIds?: readonly string[] | undefined;
  readonly approval: ApprovalStateFilter;
  readonly limit: number;
}

/** The reads over the WSUS-compatible views the reports are made of. */
export interface ReportQueries {
  categoryTitles(kind: 'classification' | 'product'): Promise<string[]>;
  /** By name. */
  groups(): Promise<{ groupId: string; parentGroupId: string | null; name: string }[]>;
  memberships(): Promise<{ computerId: string; groupId: string }[]>;
  updateTitles(): Promise<{ updateId: string; title: string | null; kb: string | null }[]>;
  /** Newest first. */
  updateStateCounts(query: UpdateLinesQuery): Promise<UpdateLine[]>;
  /** Declined updates are not counted; by name. */
  computerStateCounts(query: {
    readonly groupIds?: readonly string[] | undefined;
    readonly limit: number;
  }): Promise<ComputerLine[]>;
  /** Declined updates are not counted. */
  severityStateCounts(query: { readonly groupIds?: readonly string[] | undefined }): Promise<SeverityLine[]>;
  /** Declined updates are not counted; computers without a status are absent. */
  stateCountsPerComputer(): Promise<(StateCounts & { computerId: string })[]>;
  installApprovedAmong(updateIds: readonly string[]): Promise<string[]>;
}

export interface SyncRunLine {
  readonly syncRunId: number;
  readonly kind: string;
  readonly triggerSource: string;
  readonly nodeId: string | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly outcome: string;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly counters: Readonly<Record<string, number>>;
}

export interface ReportStores {
  readonly reportQueries: ReportQueries;
  /** The most recent sync runs first. */
  readonly syncRuns: { list(limit: number): Promise<readonly SyncRunLine[]> };
  readonly generations: { getActive(): Promise<{ readonly generationId: number } | undefined> };
  /** The updates among `updateIds` whose files clients cannot get yet (absent: every file stored). */
  readonly files: {
    contentGaps(
      generationId: number,
      updateIds: readonly string[],
      options?: { express?: boolean },
    ): Promise<ReadonlyMap<string, { readonly state: 'waiting' | 'failed'; readonly reason: string | null }>>;
  };
}
