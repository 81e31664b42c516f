export * from './run-rollup.js';
