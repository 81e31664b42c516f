export * from './duration.js';
export * from './ring-gate.js';
export * from './ring-membership.js';
