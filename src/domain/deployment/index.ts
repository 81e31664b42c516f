export {
  type DeploymentAction,
  type ApprovalDecision,
  type RevisionKind,
  type DeploymentActionInput,
  deploymentActionFor,
} from './deployment-action.js';
export {
  type GroupApproval,
  type GroupParentLookup,
  type EffectiveApproval,
  resolveEffectiveApproval,
} from './effective-approval.js';
