/**
 * What a Windows client is told to do with a revision (`Deployment/Action`, docs/protocol/client.md §1.6.2). The strings are
 * the wire enum on purpose, so the client web service can pass them through without a mapping table.
 */
export type DeploymentAction =
  'OptionalInstall' | 'Install' | 'Uninstall' | 'PreDeploymentCheck' | 'Block' | 'Evaluate' | 'Bundle';

/**
 * The administrator's decision for one update as it applies to one computer (after the effective-approval
 * rule): `declined` is global (the update is hidden from every client), the others come from group approvals.
 */
export type ApprovalDecision = 'install' | 'uninstall' | 'notApproved' | 'declined' | 'block';

/** The update kinds the delivery algorithm tells apart (`Properties/@UpdateType`). */
export type RevisionKind = 'software' | 'driver' | 'category' | 'detectoid';

export interface DeploymentActionInput {
  readonly kind: RevisionKind;
  /** The update is the target of some served revision's BundledUpdates. */
  readonly isBundleMember: boolean;
  readonly decision: ApprovalDecision;
}

/**
 * The action mapping observed on WS2025 over four catalogs (docs/protocol/client.md §1.6.2):
 * - categories and detectoids are always `Evaluate`, approved or not, leaf or not;
 * - a bundle member is `Bundle` even when it is itself a bundle (sub-bundles arrive as `Bundle` in the flow
 *   capture) and even when its own update was approved (it is installed through its parent);
 * - other software: `Install` when approved, `Uninstall` for an uninstall approval, else `PreDeploymentCheck`
 *   (seen for unapproved bundle parents; inferred for unapproved standalone updates).
 * `block` is sent as `PreDeploymentCheck`: the spec allows that or omission, and omission would make the
 * client's cached copy disappear without an OutOfScope entry. Returns undefined when the revision must not be
 * sent at all (declined updates, drivers: no driver is served).
 */
export function deploymentActionFor(input: DeploymentActionInput): DeploymentAction | undefined {
  if (input.kind === 'driver' || input.decision === 'declined') return undefined;
  if (input.kind === 'category' || input.kind === 'detectoid') return 'Evaluate';
  if (input.isBundleMember) return 'Bundle';
  switch (input.decision) {
    case 'install':
      return 'Install';
    case 'uninstall':
      return 'Uninstall';
    case 'block':
    case 'notApproved':
      return 'PreDeploymentCheck';
  }
}
