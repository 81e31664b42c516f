// The sync adapter: the upstream transport now; the ServerSync client, planner, importer and content
// downloader build on it.
export * from './upstream-transport/index.js';
export * from './engine/index.js';
