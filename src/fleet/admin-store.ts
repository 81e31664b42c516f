/**
 * The storage port of the administration services. The storage repositories implement it (built from a
 * database handle in src/admin/admin-services.ts), so the services hold no adapter. `transaction` hands the
 * callback repositories bound to one transaction: a change and its audit rows commit together or not at all.
 */
import type { Repositories } from '../storage/index.js';

export type AdminRepositories = Pick<
  Repositories,
  | 'revisions'
  | 'groups'
  | 'computers'
  | 'approvals'
  | 'approvalRules'
  | 'adminQueries'
  | 'auditLog'
  | 'settings'
  | 'apiTokens'
  | 'deploymentChanges'
  | 'generations'
  | 'files'
  | 'quarantine'
  | 'downstreamServers'
>;

export interface AdminStore {
  readonly repos: AdminRepositories;
  transaction<T>(fn: (repos: AdminRepositories) => Promise<T>): Promise<T>;
  /** The stored update document of a revision (decoded UTF-8 XML), or undefined. */
  readDocument(revisionId: number): Promise<Buffer | undefined>;
}
