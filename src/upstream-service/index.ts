// Patchbay as an upstream server (USS) for downstream WSUS and Patchbay servers: MS-WSUSSS ServerSync and
// DssAuth (docs/upstream.md). Reporting roll-up (rollup-web-service.ts) shares the admission rules.
export * from './anchors.js';
export * from './dss-cookies.js';
export * from './downstream-admission.js';
export * from './languages.js';
export * from './upstream-ports.js';
export * from './update-data.js';
export * from './deployments.js';
export * from './upstream-web-service.js';
export * from './rollup-web-service.js';
export * from './create-upstream-service.js';
