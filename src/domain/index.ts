// The pure domain: branded ids, cookie codec, deployment rules. Services import from here.
export * from './ids.js';
export * from './cookies/index.js';
export * from './deployment/index.js';
export * from './update-state.js';
export * from './content-mode.js';
export * from './express-files.js';
export * from './notification-events.js';
export * from './catalog-rings.js';
export * from './rings/index.js';
