export {
  createLogger,
  componentLogger,
  requestLogger,
  syncRunLogger,
  resolveLogFormat,
  type Logger,
  type LogLevel,
  type LogFormat,
  type CreateLoggerOptions,
} from './logger.js';
export { redactSecrets, redactUrlsInText, isSecretKey, redactedText } from './redact.js';
export {
  PatchbayMetrics,
  shedReasons,
  soapOutcomes,
  unknownOperation,
  type MetricsOptions,
  type ScrapeSnapshot,
  type ScrapeSource,
  type ShedReason,
  type SoapOutcome,
} from './metrics.js';
