/**
 * What the connector's view reader needs from storage: one keyset page at a time of the WSUS-compatible
 * public views. The storage repositories implement it structurally (`createRepositories(...)`), so no query
 * is written here. Times are epoch milliseconds; cursors are the last row's ids ('' before the first page).
 */
export interface ConnectorViewStore {
  findGroups(
    match: { name: string; id?: string | undefined },
    limit: number,
  ): Promise<{ id: string; name: string }[]>;
  updatePage(p: {
    groupId: string;
    classificationId?: string | undefined;
    afterUpdateId: string;
    limit: number;
  }): Promise<
    {
      updateId: string;
      title: string | null;
      kbArticle: string | null;
      securityBulletin: string | null;
      msrcSeverity: string | null;
      creationMs: number | null;
      approvalAction: string | null;
    }[]
  >;
  computerPage(p: {
    groupId: string;
    includeDownstreamServers: boolean;
    reportedAfterMs?: number | undefined;
    reportedUpToMs?: number | undefined;
    afterComputerId: string;
    limit: number;
  }): Promise<{ computerId: string; name: string | null; lastReportedMs: number | null }[]>;
  statusPage(p: {
    computerIds: readonly string[];
    classificationId?: string | undefined;
    afterComputerId: string;
    afterUpdateId: string;
    limit: number;
  }): Promise<{ computerId: string; updateId: string; state: number }[]>;
}
