// Asset-management connectors: the Miradore-style connector (INI config, view reader, run, schedule),
// its wire contract and the reference receiver.
export {
  loadConnectorConfig,
  loadConnectorConfigOrThrow,
  pinoLevelOf,
  logSeverities,
  maxConnectorIniBytes,
  type ConnectorConfig,
  type ConnectorInstance,
  type ConnectorSource,
  type LogSeverity,
  type LoadConnectorConfigResult,
} from './connector-config.js';
export {
  runInstance,
  stateKey,
  groupFileName,
  connectorName,
  defaultSettleMs,
  type InstanceSummary,
  type GroupSummary,
  type RunInstanceDeps,
} from './connector-run.js';
export { registerConnectorJobs, connectorJobName } from './connector-jobs.js';
export {
  createViewReader,
  securityUpdatesClassification,
  type ConnectorReader,
  type UpdateRow,
  type ComputerRow,
  type StatusRow,
} from './view-reader.js';
export { csvCell, createEncoder, type ConnectorRecord } from './record-encoders.js';
export * from './wire-contract.js';
export { buildConnectorReceiver, receiverGroupDir, type ReceiverOptions } from './receiver/receiver.js';
