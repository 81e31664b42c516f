// Storage adapters: the database (SQLite or PostgreSQL, ./db) and the content store (./content).
export * from './db/index.js';
export * from './content/index.js';
