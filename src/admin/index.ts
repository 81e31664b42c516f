// Administration: the service bundle shared by the REST API and the CLI, API tokens, roles and permissions.
export { createAdminServices, adminStoreFor, replicaOfConfig, type AdminServices } from './admin-services.js';
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
export { DownstreamsService, type DownstreamView } from './downstreams-service.js';
export { SessionService, csrfMatches, sessionLifetimeMs, type SessionView } from './session-service.js';
