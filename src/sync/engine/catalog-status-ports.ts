import type {
  CatalogPin,
  GenerationRecord,
  MemberUpdate,
  QuarantineRecord,
  SyncOutcome,
  SyncRunRecord,
} from '../../storage/index.js';

/**
 * What `catalog status|rollback|unpin|quarantine` and `sync history` need from storage. The storage
 * repositories implement these structurally (`createRepositories(...)`), so no query is written here.
 */
export interface CatalogStatusStores {
  readonly generations: {
    getActive(): Promise<GenerationRecord | undefined>;
    getPin(): Promise<CatalogPin | undefined>;
    list(limit?: number): Promise<GenerationRecord[]>;
    memberUpdates(generationId: number): Promise<MemberUpdate[]>;
    rollback(options?: {
      to?: number;
      pinnedBy?: string;
    }): Promise<{ active: GenerationRecord; replaced: GenerationRecord | undefined }>;
    rollbackTarget(to: number | undefined): Promise<{ active: GenerationRecord; target: GenerationRecord }>;
    unpin(): Promise<CatalogPin | undefined>;
  };
  readonly revisions: { count(): Promise<number> };
  readonly quarantine: {
    count(): Promise<number>;
    list(page?: { limit?: number; reasonCode?: string }): Promise<QuarantineRecord[]>;
  };
  readonly syncRuns: {
    list(limit?: number): Promise<SyncRunRecord[]>;
    lastWithOutcome(outcome: SyncOutcome): Promise<SyncRunRecord | undefined>;
  };
}
