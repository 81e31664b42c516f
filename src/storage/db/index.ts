export * from './blob-codec.js';
export * from './bulk-insert.js';
export type * from './database.js';
export * from './dialect.js';
export * from './migrate.js';
export * from './open-database.js';
export * from './repositories/index.js';
export * from './transaction.js';
export * from './public-views.js';
