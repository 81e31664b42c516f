// Administration: the service bundle shared by the REST API and the CLI, API tokens, roles and permissions.
export { createAdminServices, adminStoreFor, type AdminServices } from './admin-services.js';
export { TokenService, hashToken, type TokenView, type AuthenticatedToken } from './token-service.js';
export {
  roles,
  permissions,
  rolePermissions,
  rolesAllow,
  isRole,
  type Role,
  type Permission,
} from './roles.js';
// The services live in src/fleet (one file each); other folders reach them through this index.
export {
  GroupsService,
  type TargetingMode,
  type ClientTargetingResult,
  type GroupView,
} from '../fleet/groups-service.js';
export {
  UpdatesService,
  type UpdateFilter,
  type UpdateSelection,
  type UpdateSummary,
  type UpdateDetail,
  type UpdateContent,
  type AdminContentMode,
} from '../fleet/updates-service.js';
export {
  ApprovalsService,
  type ApprovalChange,
  type ApprovalPlan,
  type DeclineChange,
} from '../fleet/approvals-service.js';
export {
  ApprovalRulesService,
  type RuleInput,
  type RuleRunResult,
  type RuleSwitches,
} from '../fleet/approval-rules-service.js';
export {
  ComputersAdminService,
  type ComputerView,
  type EffectiveApprovalView,
} from '../fleet/computers-admin-service.js';
export { AuditService, type AuditFilter, type AuditEntryView } from '../fleet/audit-service.js';
export { type AdminActor, actorText } from '../fleet/admin-actor.js';
export { type Page, type PageRequest, defaultPageLimit, maxPageLimit } from '../fleet/admin-paging.js';
export { parseIsoTime, requireGuid, requireKb } from '../fleet/admin-input.js';
