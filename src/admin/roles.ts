/**
 * REST API roles and what each may do. One table, used by the route guard and printed in
 * docs/administration.md; a route names the permission it needs, never a role.
 */
export const roles = ['admin', 'approver', 'reporter', 'connector', 'monitor'] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  /** Read updates, groups, computers, approvals, declines, rules, settings. */
  'catalog:read',
  /** Read reports (update/computer status, compliance, sync results). */
  'reports:read',
  /** Read the audit log. */
  'audit:read',
  /** Approve, unapprove, decline, undecline; run a rule. */
  'approvals:write',
  /** Create/change/delete rules and the rule switches. */
  'rules:write',
  /** Groups, memberships, computer moves and removal, targeting mode. */
  'fleet:write',
  /** Create, list and revoke API tokens. */
  'tokens:admin',
  /** Scrape /metrics (Prometheus). */
  'metrics:read',
  /** Run the server cleanup (`POST /api/v1/cleanup`): it deletes revisions, files and computers. */
  'maintenance:run',
  /**
   * Run a synchronization or a content verify/download, roll back or pin the catalog, change the product,
   * classification and language selection and the run-time settings (`/api/v1/sync`, `/catalog`, ...).
   */
  'server:write',
] as const;
export type Permission = (typeof permissions)[number];

export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  admin: permissions,
  approver: ['catalog:read', 'reports:read', 'audit:read', 'approvals:write'],
  reporter: ['catalog:read', 'reports:read', 'audit:read', 'metrics:read'],
  // Asset-management exporters: inventory and status, nothing else (no audit trail of who did what).
  connector: ['catalog:read', 'reports:read'],
  // A monitoring system's token (Prometheus bearer_token_file): metrics only, no catalog or fleet data.
  monitor: ['metrics:read'],
});

export function isRole(v: string): v is Role {
  return (roles as readonly string[]).includes(v);
}

export function rolesAllow(granted: readonly string[], needed: Permission): boolean {
  return granted.some((r) => isRole(r) && rolePermissions[r].includes(needed));
}
