export {
  ClientScope,
  compileScope,
  type ScopeMode,
  type ScopeInput,
  type ScopeDeploymentInput,
  type ClientScopeStats,
} from './client-scope.js';
