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
