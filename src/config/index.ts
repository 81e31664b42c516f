export {
  configSchema,
  defaultUpstreamUrl,
  microsoftContentHosts,
  sectionNames,
  type ParsedConfig,
  type SectionName,
} from './schema.js';
export { configFields, toEnvName, toIniKey, envPrefix, type FieldInfo } from './keys.js';
export type { FieldMeta, FieldKind } from './fields.js';
export {
  loadConfig,
  loadConfigOrThrow,
  matchesNoProxy,
  proxyFromEnvironment,
  maxConfigFileBytes,
  maxSecretFileBytes,
  type Config,
  type LoadConfigOptions,
  type LoadConfigResult,
} from './load.js';
export { formatProblem, configInvalidError, type ConfigProblem } from './problems.js';
export {
  renderDefaultsIni,
  renderReferenceMarkdown,
  renderEffectiveIni,
  effectiveConfigObject,
  redactUrlCredentials,
  redacted,
} from './render.js';
export {
  readIniText,
  scanIniLines,
  parseIniText,
  unquoteIni,
  readSecretFile,
  errnoText,
  forbiddenIniNames,
  type ParsedIni,
} from './ini-file.js';
export { walkIniSections, type IniLayout, type IniSink } from './ini-sections.js';
export {
  integerField,
  portField,
  booleanField,
  enumField,
  stringField,
  pathField,
  urlField,
  sizeField,
  listField,
  formatSize,
  maxValueLength,
} from './fields.js';
export { closestName, suggestKey, deepFreeze } from './key-helpers.js';
export { addressMatcher, parseAddressRange, type AddressRange } from './address-range.js';
