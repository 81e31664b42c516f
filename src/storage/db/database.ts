import type { Generated } from 'kysely';

/**
 * The typed schema (Kysely). Conventions (see dialect.ts): snake_case tables and columns, timestamps are
 * epoch milliseconds (`*_at`), booleans are 0/1 integers (`is_*`), GUIDs lower-case text, JSON as text.
 * Every table named here is created by the migrations in ./migrations.
 */
export interface Database {
  revision_ids: RevisionIdsTable;
  revisions: RevisionsTable;
  revision_documents: RevisionDocumentsTable;
  revision_fragments: RevisionFragmentsTable;
  revision_localized: RevisionLocalizedTable;
  revision_prerequisites: RevisionPrerequisitesTable;
  revision_bundles: RevisionBundlesTable;
  revision_supersedes: RevisionSupersedesTable;
  revision_categories: RevisionCategoriesTable;
  revision_files: RevisionFilesTable;
  revision_drivers: RevisionDriversTable;
  categories: CategoriesTable;
  files: FilesTable;
  catalog_generations: CatalogGenerationsTable;
  catalog_pin: CatalogPinTable;
  catalog_rollouts: CatalogRolloutsTable;
  rollout_scans: RolloutScansTable;
  generation_members: GenerationMembersTable;
  quarantine: QuarantineTable;
  sync_anchors: SyncAnchorsTable;
  sync_runs: SyncRunsTable;
  deployment_changes: DeploymentChangesTable;
  computers: ComputersTable;
  computer_groups: ComputerGroupsTable;
  group_memberships: GroupMembershipsTable;
  approvals: ApprovalsTable;
  declines: DeclinesTable;
  approval_rules: ApprovalRulesTable;
  audit_log: AuditLogTable;
  client_events: ClientEventsTable;
  update_status: UpdateStatusTable;
  api_tokens: ApiTokensTable;
  admin_sessions: AdminSessionsTable;
  settings: SettingsTable;
  cookie_keys: CookieKeysTable;
  connector_state: ConnectorStateTable;
  job_leases: JobLeasesTable;
  upstream_catalog_log: UpstreamCatalogLogTable;
  downstream_servers: DownstreamServersTable;
  replica_deployments: ReplicaDeploymentsTable;
  accepted_eulas: AcceptedEulasTable;
  cleanup_file_journal: CleanupFileJournalTable;
  rings: RingsTable;
  ring_groups: RingGroupsTable;
  rollouts: RolloutsTable;
  rollout_history: RolloutHistoryTable;
  rollup_servers: RollupServersTable;
  rollup_computers: RollupComputersTable;
  rollup_outbox: RollupOutboxTable;
  jobs: JobsTable;
  bundles: BundlesTable;
}

/** Blob codecs for compression at rest (blob-codec.ts). */
export type BlobCodecName = 'none' | 'gzip' | 'br';

/** (update id, revision number) -> int32 revision id. Rows are never deleted, so an id is never reused. */
export interface RevisionIdsTable {
  revision_id: Generated<number>;
  update_id: string;
  revision_number: number;
  allocated_at: number;
}

export interface RevisionsTable {
  revision_id: number;
  update_id: string;
  revision_number: number;
  /** Software | Driver | Category | Detectoid (as in the document). */
  update_type: string;
  is_category: number;
  /** Has BundledUpdates children. */
  is_bundle: number;
  is_explicitly_deployable: number;
  publication_state: string | null;
  handler: string | null;
  /** English (default-language) title, for the admin side; clients get the localized fragments. */
  title: string | null;
  kb_article_id: string | null;
  msrc_severity: string | null;
  creation_date_at: number | null;
  max_download_size: number | null;
  imported_at: number;
  updated_at: number;
  /** Migration 0005. `SecurityBulletinID`s in document order, comma-separated (MS17-010). */
  security_bulletin_ids: string | null;
  /** Migration 0005. InstallationBehavior (NULL: the document has none); booleans 0/1. */
  is_install_user_input: number | null;
  is_install_network_required: number | null;
  install_impact: string | null;
  install_reboot_behavior: string | null;
  /** Migration 0005. UninstallationBehavior (NULL: the document has none). */
  is_uninstall_user_input: number | null;
  is_uninstall_network_required: number | null;
  uninstall_impact: string | null;
  uninstall_reboot_behavior: string | null;
  /** Migration 0005. The English (else first) `UninstallNotes`. */
  uninstall_notes: string | null;
}

export interface BlobColumns {
  codec: BlobCodecName;
  raw_size: number;
  data: Buffer;
}

/** The original update document (UTF-8 XML), usually compressed. */
export interface RevisionDocumentsTable extends BlobColumns {
  revision_id: number;
}

/** Precomputed client fragments: kind 'core' | 'extended'. */
export interface RevisionFragmentsTable extends BlobColumns {
  revision_id: number;
  kind: string;
}

export interface RevisionLocalizedTable extends BlobColumns {
  revision_id: number;
  language: string;
  title: string | null;
  description: string | null;
}

/** Prerequisites in CNF: all clauses ANDed; the rows of one clause are its OR alternatives. */
export interface RevisionPrerequisitesTable {
  revision_id: number;
  clause_index: number;
  update_id: string;
  is_category: number;
}

/** BundledUpdates: the rows of one group are its alternatives ("one of these children"). */
export interface RevisionBundlesTable {
  revision_id: number;
  group_index: number;
  update_id: string;
  revision_number: number;
}

export interface RevisionSupersedesTable {
  revision_id: number;
  update_id: string;
}

/** kind: 'product' | 'classification' | 'company' | 'product_family' | 'other'. */
export interface RevisionCategoriesTable {
  revision_id: number;
  category_update_id: string;
  kind: string;
}

export interface RevisionFilesTable {
  revision_id: number;
  position: number;
  sha1: Buffer;
  file_name: string;
  patching_type: string | null;
}

/** One `WindowsDriverMetaData` of a driver revision (migration 0022). */
export interface RevisionDriversTable {
  revision_id: number;
  position: number;
  /** Lower case. */
  hardware_id: string;
  /** `YYYY-MM-DD`. */
  ver_date: string;
  /** The packed 64-bit DriverVerVersion as 16 lower-case hex digits. */
  ver_version: string;
  class: string | null;
  manufacturer: string | null;
  provider: string | null;
  model: string | null;
}

export interface CategoriesTable {
  update_id: string;
  /** The highest imported revision of the category. */
  revision_id: number;
  revision_number: number;
  /** Company | ProductFamily | Product | UpdateClassification | null (generic). */
  category_type: string | null;
  title: string | null;
  display_order: number | null;
  prohibits_subcategories: number;
  prohibits_updates: number;
  excluded_by_default: number;
  updated_at: number;
}

/** absent | queued | downloading | verified | failed */
export type ContentState = 'absent' | 'queued' | 'downloading' | 'verified' | 'failed';

export interface FilesTable {
  sha1: Buffer;
  sha256: Buffer | null;
  size: number;
  name: string;
  mu_url: string | null;
  content_state: ContentState;
  state_changed_at: number;
  attempts: number;
  last_error: string | null;
  created_at: number;
}

/** staged -> active -> retired; staged -> abandoned; active -> rolled_back (by `catalog rollback`). */
/** `rollout`: served to the early rings only while a ringed catalog change soaks (migration 0015). */
export type GenerationState = 'staged' | 'active' | 'retired' | 'abandoned' | 'rolled_back' | 'rollout';

export interface CatalogGenerationsTable {
  generation_id: Generated<number>;
  state: GenerationState;
  previous_generation_id: number | null;
  sync_run_id: number | null;
  member_count: number;
  note: string | null;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

/** The generation `catalog rollback` pinned: syncs still run but activate nothing while this row exists. */
export interface CatalogPinTable {
  scope: 'catalog';
  generation_id: number;
  pinned_at: number;
  pinned_by: string | null;
}

export type CatalogRolloutState = 'soaking' | 'held' | 'completed' | 'aborted';

/** A ringed catalog change (migration 0015): the generation is served to rings 0..ring_index. */
export interface CatalogRolloutsTable {
  rollout_id: Generated<number>;
  generation_id: number;
  previous_generation_id: number | null;
  state: CatalogRolloutState;
  ring_index: number;
  ring_entered_at: number;
  held_reason: string | null;
  members_digest: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** The gate's evidence: one computer's scans of a generation under rollout. */
export interface RolloutScansTable {
  generation_id: number;
  computer_id: string;
  started_at: number | null;
  completed_at: number | null;
  faulted_at: number | null;
  fault_code: string | null;
}

/** Per-generation flags: leaf-ness and bundle membership depend on the rest of the served catalog. */
/** One change of the generation served to downstream servers (migration 0008, docs/upstream.md). */
export interface UpstreamCatalogLogTable {
  seq: Generated<number>;
  generation_id: number;
  logged_at: number;
}

/** A downstream server that authenticated with us (migration 0010, docs/upstream.md). */
export interface DownstreamServersTable {
  server_id: string;
  name: string;
  address: string | null;
  user_agent: string | null;
  protocol_version: string | null;
  first_seen_at: number;
  last_auth_at: number;
  last_sync_at: number | null;
  sync_calls: Generated<number>;
  computers: Generated<number>;
  /** Its last reporting roll-up call (migration 0012). */
  last_rollup_at: number | null;
}

/** A server a direct downstream rolled up: itself or one below it (migration 0012, docs/upstream.md). */
export interface RollupServersTable {
  server_id: string;
  /** The direct downstream whose roll-up reported it (the caps are per direct downstream). */
  reported_by: string;
  parent_server_id: string;
  name: string | null;
  version: string | null;
  is_replica: number;
  last_sync_at: number | null;
  last_rollup_at: number | null;
  /** JSON object of the 18 ServerSummary counters. */
  summary: string | null;
  received_at: number;
}

/** Which direct downstream owns a rolled-up `computers` row, and its roll-up number (migration 0012). */
export interface RollupComputersTable {
  computer_id: string;
  reported_by: string;
  rollup_number: number;
  last_rollup_at: number;
}

/** Downstream role: what was last rolled up to our upstream, per computer (migration 0012). */
export interface RollupOutboxTable {
  computer_id: string;
  rollup_number: number;
  sent_at: number;
}

/** A replica's record of an upstream deployment (migration 0011): DeploymentGuid -> the approval it set. */
export interface ReplicaDeploymentsTable {
  deployment_guid: string;
  update_id: string;
  group_id: string;
  revision_number: number;
  applied_at: number;
}

/** EULAs accepted (migration 0011); a replica mirrors its upstream's list. */
export interface AcceptedEulasTable {
  eula_id: string;
  /** 'upstream' on a replica. */
  accepted_via: string;
  accepted_at: number;
}

export interface GenerationMembersTable {
  generation_id: number;
  revision_id: number;
  is_leaf: number;
  is_bundle_member: number;
}

export interface QuarantineTable {
  update_id: string;
  revision_number: number;
  revision_id: number | null;
  reason_code: string;
  detail: string | null;
  /** Set when quarantined because a revision it depends on is quarantined. */
  caused_by_update_id: string | null;
  sync_run_id: number | null;
  first_seen_at: number;
  last_seen_at: number;
  retry_count: number;
  next_retry_at: number | null;
}

/** Anchors per scope ('config', 'revisions:<filter hash>', 'deployments'); pending until the phase commits. */
export interface SyncAnchorsTable {
  scope: string;
  anchor: string | null;
  committed_at: number | null;
  pending_anchor: string | null;
  pending_at: number | null;
  sync_run_id: number | null;
}

export type SyncOutcome = 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

export interface SyncRunsTable {
  sync_run_id: Generated<number>;
  kind: string;
  trigger_source: string;
  node_id: string | null;
  started_at: number;
  heartbeat_at: number;
  finished_at: number | null;
  outcome: SyncOutcome;
  error_code: string | null;
  error_message: string | null;
  error_detail: string | null;
  /** JSON object of named integer counters. */
  counters: string;
  generation_id: number | null;
  /** What the run did not do and why (0006), e.g. "not activated: catalog pinned to generation 3". */
  note: string | null;
}

/** The deployment change sequence: drives ChangedUpdates and Deployment.LastChangeTime. */
export interface DeploymentChangesTable {
  change_seq: Generated<number>;
  changed_at: number;
  update_id: string;
  revision_id: number | null;
  group_id: string | null;
  generation_id: number | null;
  kind: string;
}

export interface ComputersTable {
  computer_id: string;
  dns_name: string | null;
  ip_address: string | null;
  os_major: number | null;
  os_minor: number | null;
  os_build: number | null;
  os_revision: number | null;
  os_service_pack_major: number | null;
  os_service_pack_minor: number | null;
  os_locale: string | null;
  os_product_type: number | null;
  os_description: string | null;
  computer_make: string | null;
  computer_model: string | null;
  bios_version: string | null;
  firmware_version: string | null;
  client_version: string | null;
  processor_architecture: string | null;
  /** Further inventory as JSON (bounded by the caller). */
  inventory: string | null;
  downstream_server_id: string | null;
  registered_at: number;
  updated_at: number;
  last_sync_at: number | null;
  last_report_at: number | null;
  last_inventory_at: number | null;
}

export interface ComputerGroupsTable {
  group_id: string;
  name: string;
  parent_group_id: string | null;
  description: string | null;
  is_builtin: number;
  created_at: number;
  updated_at: number;
}

/** source: 'server' (admin-assigned) | 'client' (client-side targeting). */
export interface GroupMembershipsTable {
  computer_id: string;
  group_id: string;
  source: string;
  added_at: number;
}

export type ApprovalAction = 'install' | 'uninstall' | 'not_approved';

export interface ApprovalsTable {
  update_id: string;
  group_id: string;
  action: ApprovalAction;
  deadline_at: number | null;
  approved_by: string;
  /** 'admin' | 'api' | 'rule:<id>' | 'upstream' | 'cli' ... */
  approved_via: string;
  approved_at: number;
}

export interface DeclinesTable {
  update_id: string;
  declined_by: string;
  declined_via: string;
  declined_at: number;
  reason: string | null;
}

export interface ApprovalRulesTable {
  rule_id: Generated<number>;
  name: string;
  is_enabled: number;
  action: ApprovalAction;
  /** JSON: { productIds?, classificationIds?, ... }. */
  criteria: string;
  /** JSON array of group ids. */
  group_ids: string;
  deadline_offset_ms: number | null;
  priority: number;
  created_at: number;
  updated_at: number;
  /** JSON array of rollout stages (migration 0017); null = the rule approves for its groups. */
  rings_plan: string | null;
}

export interface AuditLogTable {
  audit_id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: string | null;
}

/** Raw client events, never interpreted here; deduplicated on EventInstanceID. */
export interface ClientEventsTable {
  event_instance_id: string;
  computer_id: string;
  event_id: number;
  namespace_id: number;
  source_id: number | null;
  event_at: number;
  received_at: number;
  update_id: string | null;
  revision_number: number | null;
  win32_hresult: number | null;
  raw: string;
  is_raw_truncated: number;
}

/** WSUS per-computer per-update state codes 0..6: `updateState` in src/domain/update-state.ts. */
export interface UpdateStatusTable {
  computer_id: string;
  update_id: string;
  revision_id: number | null;
  state: number;
  hresult: number | null;
  status_at: number;
  updated_at: number;
}

export interface ApiTokensTable {
  token_id: Generated<number>;
  name: string;
  /** SHA-256 of the secret; the secret itself is never stored. */
  token_hash: Buffer;
  /** JSON array of role names. */
  roles: string;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Web console sessions (migration 0019): the cookie's SHA-256, never the cookie. */
export interface AdminSessionsTable {
  session_hash: Buffer;
  token_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface SettingsTable {
  key: string;
  /** JSON text. */
  value: string;
  updated_at: number;
  updated_by: string | null;
}

export interface CookieKeysTable {
  key_id: Generated<number>;
  secret: Buffer;
  created_at: number;
  retired_at: number | null;
}

export interface ConnectorStateTable {
  connector: string;
  watermark: string | null;
  last_run_at: number | null;
  last_success_at: number | null;
  last_outcome: string | null;
  last_error: string | null;
  runs: number;
  failures: number;
  items_exported: number;
  updated_at: number;
}

/** Single-runner leases; fencing_token grows on every takeover so stale holders can be detected. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  fencing_token: number;
  acquired_at: number;
  expires_at: number;
}

/** Jobs started over the REST API (migration 0018); result and error are JSON text. */
export interface JobsTable {
  job_id: string;
  kind: string;
  state: string;
  exclusive_key: string | null;
  progress_done: number;
  progress_total: number;
  progress_phase: string;
  result: string | null;
  error: string | null;
  created_by: string;
  node_id: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Content objects a cleanup is deleting (migration 0013): the database forgot them first, the store next. */
export interface CleanupFileJournalTable {
  sha1: Buffer;
  size: number;
  queued_at: number;
}

/** A rollout ring (migration 0014, docs/rings.md): position 0 is the first ring; thresholds in percent. */
export interface RingsTable {
  ring_id: Generated<number>;
  name: string;
  position: number;
  description: string | null;
  soak_ms: number;
  min_reported: number;
  max_failure_percent: number;
  max_fault_percent: number;
  max_uninstalls: number;
  created_at: number;
  updated_at: number;
}

/** The groups of a ring; a group is in at most one ring (primary key). */
export interface RingGroupsTable {
  group_id: string;
  ring_id: number;
  added_at: number;
}

export type RolloutState = 'running' | 'paused' | 'completed' | 'stopped';

/** A ringed approval (migration 0014): `position` indexes the JSON `plan`. */
export interface RolloutsTable {
  rollout_id: Generated<number>;
  update_id: string;
  action: string;
  state: RolloutState;
  position: number;
  stage_started_at: number;
  /** JSON: [{ ringId, ringName, deadlineOffsetMs }] in stage order. */
  plan: string;
  hold_reason: string | null;
  /** JSON: the gate figures and failing computers behind a pause. */
  evidence: string | null;
  rule_id: number | null;
  created_by: string;
  created_via: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Every stage change of a rollout (started, promoted, paused, resumed, skipped, stopped, completed). */
export interface RolloutHistoryTable {
  history_id: Generated<number>;
  rollout_id: number;
  at: number;
  event: string;
  position: number;
  actor: string;
  detail: string | null;
}

/** An exported or imported bundle (migration 0020, docs/operations.md "Air-gapped networks"). */
export interface BundlesTable {
  role: 'export' | 'import';
  export_id: string;
  source_server_id: string;
  sequence: number;
  since_export_id: string | null;
  generation_id: number | null;
  deployment_anchor: string | null;
  carried_content: Generated<string>;
  verified_chunks: Generated<string>;
  manifest_sha256: string | null;
  started_at: number;
  finished_at: number | null;
}
