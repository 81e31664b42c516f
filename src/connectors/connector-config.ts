/**
 * The connector's INI file (`connector.ini`): one `[connector]` section (logging), one `[source]` section
 * (the Patchbay database the connector reads through the WSUS-compatible views), and one
 * `[instance:NAME]` section per target instance (the asset-management server it sends to). Read with the
 * same hardened INI reader and section walk as `patchbay.ini` (src/config/ini-file.ts, ini-sections.ts);
 * what remains here is this file's layout and values. Every problem is reported with its INI path
 * (`instance:main.groups: ...`) and where it came from. Secrets never come from the file itself: a token or
 * password is named by `*_env` (an environment variable) or `*_file` (a file holding it).
 */
import { isAbsolute, resolve } from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import {
  booleanField,
  enumField,
  integerField,
  listField,
  maxSecretFileBytes,
  pathField,
  readIniText,
  readSecretFile,
  parseIniText,
  sizeField,
  stringField,
  toIniKey,
  urlField,
  walkIniSections,
  type ConfigProblem,
  type IniLayout,
} from '../config/index.js';
import { configInvalidError, deepFreeze } from '../config/index.js';
import type { AppError } from '../errors.js';

/** Largest accepted connector.ini (real files are a few KiB). */
export const maxConnectorIniBytes = 256 * 1024;
export const maxInstances = 64;

/** Miradore's log severities, mapped to pino levels (Verbose is the most detailed). */
export const logSeverities = ['debug', 'verbose', 'info', 'warning', 'error'] as const;
export type LogSeverity = (typeof logSeverities)[number];
export const pinoLevelOf: Readonly<Record<LogSeverity, 'trace' | 'debug' | 'info' | 'warn' | 'error'>> = {
  verbose: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
};

const envNamePattern = { re: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, expected: 'an environment variable name' };
const hostPattern = { re: /^[A-Za-z0-9.:_%[\]-]{1,253}$/, expected: 'a host name or IP address' };
const pathPattern = { re: /^\/[^\s?#]*$/, expected: 'a URL path starting with /' };
/** Instance names become file and state names: keep them plain. */
export const instanceNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

const connectorSection = z.object({
  logSeverity: enumField({
    values: logSeverities,
    default: 'info',
    description:
      'Lowest severity logged: Debug or Verbose (the most detail) for troubleshooting, Info, Warning, Error.',
  }),
  logFile: pathField({
    default: '',
    description: 'Append the log (JSON lines) to this file; empty: standard error.',
  }),
});

const sourceSection = z.object({
  driver: enumField({
    values: ['sqlite', 'postgres'],
    default: 'sqlite',
    description: 'The Patchbay database the connector reads (through the WSUS-compatible views).',
  }),
  path: pathField({ default: './data/patchbay.db', description: 'SQLite database file (driver = sqlite).' }),
  url: urlField({
    default: '',
    protocols: ['postgres:', 'postgresql:'],
    description: 'PostgreSQL URL without the password (driver = postgres).',
  }),
  passwordEnv: stringField({
    default: '',
    description: 'Environment variable holding the PostgreSQL password.',
    pattern: envNamePattern,
  }),
  passwordFile: pathField({ default: '', description: 'File holding the PostgreSQL password.' }),
});

const formatNames = ['jsonl', 'csv'] as const;

const instanceSection = z.object({
  server: stringField({
    default: '',
    description: 'Target server host name (required).',
    pattern: hostPattern,
  }),
  port: integerField({
    min: 0,
    max: 65535,
    default: 0,
    description: 'Target port; 0: 443 with ssl, 80 without.',
  }),
  ssl: booleanField({ default: true, description: 'Use HTTPS.' }),
  path: stringField({
    default: '/',
    description:
      'Path prefix of the target; the contract endpoints live under {path}/patchbay-connector/v1/.',
    pattern: pathPattern,
  }),
  auth: enumField({
    values: ['none', 'basic', 'bearer'],
    default: 'none',
    description: 'Credentials sent to the target: none, basic (username + password) or bearer (token).',
  }),
  username: stringField({ default: '', description: 'User name for basic authentication.' }),
  passwordEnv: stringField({
    default: '',
    description: 'Environment variable holding the basic-auth password.',
    pattern: envNamePattern,
  }),
  passwordFile: pathField({ default: '', description: 'File holding the basic-auth password.' }),
  tokenEnv: stringField({
    default: '',
    description: 'Environment variable holding the bearer token.',
    pattern: envNamePattern,
  }),
  tokenFile: pathField({ default: '', description: 'File holding the bearer token.' }),
  tlsVerify: booleanField({ default: true, description: 'Verify the target certificate (https).' }),
  caFile: pathField({ default: '', description: 'PEM CA bundle to verify the target with (https).' }),
  groups: listField({
    default: [],
    description:
      'Computer groups to report (names or group GUIDs; comma-separated, or repeated `groups[] =` lines for names with commas).',
  }),
  items: listField({
    default: ['updates', 'computers'],
    description: 'What to scan: updates, computers, or both.',
    item: {
      re: /^(updates|computers)$/i,
      expected: 'updates or computers',
      normalize: (s) => s.toLowerCase(),
    },
  }),
  updateScope: enumField({
    values: ['security', 'all'],
    default: 'security',
    description: 'Updates to report: security updates only (the model), or all approvable updates.',
  }),
  includeDownstreamServers: booleanField({
    default: false,
    description:
      'Include computers of replica downstream servers. Accepted for compatibility; Patchbay has no downstream servers yet, so it changes nothing.',
  }),
  format: enumField({
    values: formatNames,
    default: 'jsonl',
    description: 'Upload format: jsonl (JSON Lines) or csv.',
  }),
  outputDir: pathField({
    default: '',
    description: 'Directory for the output files; empty: ./connector-output/<instance>.',
  }),
  outputFormats: listField({
    default: [],
    description: 'Extra output files besides the upload format: jsonl, csv, json.',
    item: { re: /^(jsonl|csv|json)$/i, expected: 'jsonl, csv or json', normalize: (s) => s.toLowerCase() },
  }),
  partSize: sizeField({
    min: 4096,
    max: 16 * 1024 * 1024,
    default: '1MiB',
    description: 'Largest upload part (parts end on line boundaries).',
  }),
  pageSize: integerField({
    min: 10,
    max: 10_000,
    default: 1000,
    description: 'Computers read from the database per page (keyset pagination).',
  }),
  fullReportEvery: integerField({
    min: 1,
    max: 1000,
    default: 10,
    description: 'Computers are sent incrementally, with a full report every N-th run (the model: 10).',
  }),
  schedule: stringField({
    default: '0 3 * * *',
    description:
      'When `patchbay serve` runs this instance (cron, 5 or 6 fields); default once a day at 03:00.',
  }),
  proxyUrl: urlField({ default: '', description: 'HTTP proxy for the target (http:// or https://).' }),
  proxyUsername: stringField({ default: '', description: 'Proxy user name.' }),
  proxyPasswordEnv: stringField({
    default: '',
    description: 'Environment variable holding the proxy password.',
    pattern: envNamePattern,
  }),
  proxyPasswordFile: pathField({ default: '', description: 'File holding the proxy password.' }),
  noProxy: stringField({ default: '', description: 'Hosts reached without the proxy (NO_PROXY syntax).' }),
  connectTimeoutSeconds: integerField({
    min: 1,
    max: 600,
    default: 15,
    description: 'TCP/TLS connect timeout.',
  }),
  requestTimeoutSeconds: integerField({
    min: 1,
    max: 3600,
    default: 120,
    description: 'Timeout of one request (headers and body).',
  }),
  retries: integerField({
    min: 0,
    max: 20,
    default: 5,
    description: 'Retries of a failed request (capped, jittered exponential backoff).',
  }),
  retryBaseMs: integerField({ min: 1, max: 60_000, default: 500, description: 'First retry delay bound.' }),
  retryMaxDelaySeconds: integerField({ min: 1, max: 3600, default: 30, description: 'Largest retry delay.' }),
});

type ParsedInstance = z.output<typeof instanceSection>;

export type ConnectorItem = 'updates' | 'computers';
export type UploadFormat = (typeof formatNames)[number];
export type OutputFormat = 'jsonl' | 'csv' | 'json';

export type TargetAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

export interface ConnectorInstance {
  readonly name: string;
  /** `https://server:port/path` without a trailing slash. */
  readonly baseUrl: string;
  readonly auth: TargetAuth;
  readonly tls: { readonly verify: boolean; readonly caFile: string };
  readonly groups: readonly string[];
  readonly items: readonly ConnectorItem[];
  readonly updateScope: 'security' | 'all';
  readonly includeDownstreamServers: boolean;
  readonly format: UploadFormat;
  readonly outputDir: string;
  /** Always contains `format`. */
  readonly outputFormats: readonly OutputFormat[];
  readonly partSize: number;
  readonly pageSize: number;
  readonly fullReportEvery: number;
  readonly schedule: string;
  readonly proxy:
    | { readonly url: string; readonly username: string; readonly password: string; readonly noProxy: string }
    | undefined;
  readonly timeouts: { readonly connectMs: number; readonly requestMs: number };
  readonly retry: { readonly retries: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
}

export type ConnectorSource =
  | { readonly driver: 'sqlite'; readonly path: string }
  | { readonly driver: 'postgres'; readonly url: string; readonly password: string };

export interface ConnectorConfig {
  readonly file: string;
  readonly logSeverity: LogSeverity;
  readonly logFile: string;
  readonly source: ConnectorSource;
  readonly instances: readonly ConnectorInstance[];
}

export type LoadConnectorConfigResult =
  { ok: true; config: ConnectorConfig } | { ok: false; problems: ConfigProblem[]; file: string };

export interface LoadConnectorConfigOptions {
  file: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

const schemas = { connector: connectorSection, source: sourceSection, instance: instanceSection } as const;
type SectionKind = keyof typeof schemas;

/** Secret-looking keys refused in the file, with the keys to use instead. */
const secretKeys: Readonly<Record<string, string>> = {
  password: 'password_env or password_file',
  token: 'token_env or token_file',
  proxy_password: 'proxy_password_env or proxy_password_file',
};

/** Per section kind: INI key -> schema key (`log_severity` -> `logSeverity`). */
const schemaKeyOf: Readonly<Record<SectionKind, ReadonlyMap<string, string>>> = {
  connector: new Map(Object.keys(connectorSection.shape).map((k) => [toIniKey(k), k])),
  source: new Map(Object.keys(sourceSection.shape).map((k) => [toIniKey(k), k])),
  instance: new Map(Object.keys(instanceSection.shape).map((k) => [toIniKey(k), k])),
};

const instancePrefix = 'instance:';
const instanceName = (section: string) => section.slice(instancePrefix.length);

function sectionKindOf(section: string): SectionKind | undefined {
  if (section === 'connector' || section === 'source') return section;
  return section.startsWith(instancePrefix) ? 'instance' : undefined;
}

/** `connector.ini`: [connector], [source] and [instance:NAME]; secrets are named by *_env or *_file only. */
const connectorIniLayout: IniLayout = {
  outsideSectionHint: 'put it under [connector], [source] or [instance:NAME]',
  section: (name) => {
    const kind = sectionKindOf(name);
    if (kind === undefined)
      return { problem: 'unknown section (known: [connector], [source], [instance:NAME])' };
    if (kind === 'instance' && !instanceNamePattern.test(instanceName(name)))
      return {
        problem: 'instance names are 1-64 letters, digits, - or _ (no dots: they would nest sections)',
      };
    return { keys: [...schemaKeyOf[kind].keys()] };
  },
  refusedKey: (_section, iniKey) =>
    secretKeys[iniKey] === undefined
      ? undefined
      : `secrets are not accepted in the file; use ${secretKeys[iniKey]}`,
};

/** Loads and validates a connector INI file; never throws for configuration problems. */
export async function loadConnectorConfig(
  options: LoadConnectorConfigOptions,
): Promise<LoadConnectorConfigResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = resolve(cwd, options.file);
  const fileName = file.split('/').pop() ?? file;
  const problems: ConfigProblem[] = [];
  const fail = () => ({ ok: false as const, problems, file });

  const text = await readIniText(file, problems, maxConnectorIniBytes);
  if (text === undefined) return fail();
  const iniFile = parseIniText(text, fileName, problems);
  if (iniFile === undefined) return fail();
  const { where } = iniFile;

  const raw: { connector: Record<string, unknown>; source: Record<string, unknown> } = {
    connector: Object.create(null) as Record<string, unknown>,
    source: Object.create(null) as Record<string, unknown>,
  };
  const instancesRaw = new Map<string, Record<string, unknown>>();
  walkIniSections(iniFile, fileName, connectorIniLayout, problems, {
    // An empty [instance:NAME] is still an instance (one whose required keys are missing).
    section: (section) => {
      if (sectionKindOf(section) === 'instance')
        instancesRaw.set(instanceName(section), Object.create(null) as Record<string, unknown>);
    },
    key: (section, iniKey, value) => {
      const kind = sectionKindOf(section)!;
      const target = kind === 'instance' ? instancesRaw.get(instanceName(section))! : raw[kind];
      target[schemaKeyOf[kind].get(iniKey)!] = value;
    },
  });
  const validate = <K extends SectionKind>(kind: K, section: string, input: Record<string, unknown>) => {
    const r = schemas[kind].safeParse(input);
    if (r.success) return r.data as z.output<(typeof schemas)[K]>;
    for (const issue of r.error.issues) {
      const key = issue.path[0];
      const path = key === undefined ? section : `${section}.${toIniKey(String(key))}`;
      problems.push({ path, message: issue.message, source: where(path) });
    }
    return undefined;
  };

  const connector = validate('connector', 'connector', raw.connector);
  const source = validate('source', 'source', raw.source);
  if (instancesRaw.size === 0)
    problems.push({
      path: '(file)',
      message: 'no [instance:NAME] section: nothing to send to',
      source: fileName,
    });
  if (instancesRaw.size > maxInstances)
    problems.push({ path: '(file)', message: `more than ${maxInstances} instances`, source: fileName });

  const abs = (p: string) => (p === '' ? '' : isAbsolute(p) ? p : resolve(cwd, p));
  const problemAt = (path: string, message: string) => problems.push({ path, message, source: where(path) });

  const readSecret = async (
    section: string,
    envKey: string,
    envName: string,
    fileKey: string,
    filePath: string,
  ): Promise<string> => {
    if (envName !== '' && filePath !== '') {
      problemAt(`${section}.${envKey}`, `set either ${envKey} or ${fileKey}, not both`);
      return '';
    }
    if (envName !== '') {
      const v = env[envName];
      if (v === undefined || v === '') {
        problemAt(`${section}.${envKey}`, `environment variable ${envName} is not set or empty`);
        return '';
      }
      return v;
    }
    if (filePath !== '') {
      return (
        (await readSecretFile(
          abs(filePath),
          (m) => problemAt(`${section}.${fileKey}`, m),
          maxSecretFileBytes,
        )) ?? ''
      );
    }
    return '';
  };

  let resolvedSource: ConnectorSource | undefined;
  if (source) {
    if (source.driver === 'sqlite') {
      resolvedSource = { driver: 'sqlite', path: abs(source.path) };
    } else if (source.url === '') {
      problemAt('source.url', 'required when driver = postgres');
    } else {
      const u = new URL(source.url);
      if (u.password !== '')
        problemAt('source.url', 'must not contain the password; use password_env or password_file');
      const password = await readSecret(
        'source',
        'password_env',
        source.passwordEnv,
        'password_file',
        source.passwordFile,
      );
      resolvedSource = { driver: 'postgres', url: source.url, password };
    }
  }

  const instances: ConnectorInstance[] = [];
  for (const [name, input] of instancesRaw) {
    const section = `instance:${name}`;
    const inst = validate('instance', section, input);
    if (!inst) continue;
    const built = await buildInstance(name, section, inst, { abs, problemAt, readSecret });
    if (built) instances.push(built);
  }

  if (problems.length > 0 || !connector || !resolvedSource) return fail();
  return {
    ok: true,
    config: deepFreeze({
      file,
      logSeverity: connector.logSeverity,
      logFile: abs(connector.logFile),
      source: resolvedSource,
      instances,
    }),
  };
}

/** Loads and validates; throws PB_ERR_CONFIG_INVALID listing every problem (exit 78). */
export async function loadConnectorConfigOrThrow(
  options: LoadConnectorConfigOptions,
): Promise<ConnectorConfig> {
  const r = await loadConnectorConfig(options);
  if (!r.ok) throw connectorConfigError(r.problems, r.file);
  return r.config;
}

export function connectorConfigError(problems: readonly ConfigProblem[], file: string): AppError {
  return configInvalidError(problems, file);
}

interface BuildContext {
  abs: (p: string) => string;
  problemAt: (path: string, message: string) => void;
  readSecret: (
    section: string,
    envKey: string,
    envName: string,
    fileKey: string,
    filePath: string,
  ) => Promise<string>;
}

async function buildInstance(
  name: string,
  section: string,
  p: ParsedInstance,
  ctx: BuildContext,
): Promise<ConnectorInstance | undefined> {
  const { abs, problemAt, readSecret } = ctx;
  let ok = true;
  const bad = (key: string, message: string) => {
    ok = false;
    problemAt(`${section}.${key}`, message);
  };
  if (p.server === '') bad('server', 'required: the target server host name');
  if (p.groups.length === 0) bad('groups', 'required: at least one computer group');
  if (p.items.length === 0) bad('items', 'expected updates, computers, or both');
  try {
    new Cron(p.schedule, { paused: true }).stop();
  } catch (e) {
    bad('schedule', `not a valid cron expression: ${(e as Error).message}`);
  }

  let auth: TargetAuth = { kind: 'none' };
  const password = await readSecret(section, 'password_env', p.passwordEnv, 'password_file', p.passwordFile);
  const token = await readSecret(section, 'token_env', p.tokenEnv, 'token_file', p.tokenFile);
  if (p.auth === 'basic') {
    if (p.username === '') bad('username', 'required when auth = basic');
    // A configured but unreadable secret was reported by readSecret; "needs password_env" would then be false.
    if (password === '' && p.passwordEnv === '' && p.passwordFile === '')
      bad('password_env', 'auth = basic needs password_env or password_file');
    else if (password === '') ok = false;
    if (p.username.includes(':')) bad('username', 'must not contain ":"');
    auth = { kind: 'basic', username: p.username, password };
  } else if (p.auth === 'bearer') {
    if (token === '' && p.tokenEnv === '' && p.tokenFile === '')
      bad('token_env', 'auth = bearer needs token_env or token_file');
    else if (token === '') ok = false;
    if (/[\r\n]/.test(token)) bad('token_file', 'the token must be one line');
    auth = { kind: 'bearer', token };
  }

  let proxy: ConnectorInstance['proxy'];
  if (p.proxyUrl !== '') {
    const u = new URL(p.proxyUrl);
    if (u.password !== '')
      bad('proxy_url', 'must not contain the password; use proxy_password_env or proxy_password_file');
    const proxyPassword = await readSecret(
      section,
      'proxy_password_env',
      p.proxyPasswordEnv,
      'proxy_password_file',
      p.proxyPasswordFile,
    );
    proxy = {
      url: `${u.protocol}//${u.host}`,
      username: p.proxyUsername !== '' ? p.proxyUsername : decodeURIComponent(u.username),
      password: proxyPassword,
      noProxy: p.noProxy,
    };
  }
  if (!ok) return undefined;

  const port = p.port !== 0 ? p.port : p.ssl ? 443 : 80;
  const host = p.server.includes(':') && !p.server.startsWith('[') ? `[${p.server}]` : p.server;
  const path = p.path.replace(/\/+$/, '');
  const outputFormats: OutputFormat[] = [p.format];
  for (const f of p.outputFormats)
    if (!outputFormats.includes(f as OutputFormat)) outputFormats.push(f as OutputFormat);
  return {
    name,
    baseUrl: `${p.ssl ? 'https' : 'http'}://${host}:${port}${path}`,
    auth,
    tls: { verify: p.tlsVerify, caFile: abs(p.caFile) },
    groups: p.groups,
    items: p.items as ConnectorItem[],
    updateScope: p.updateScope,
    includeDownstreamServers: p.includeDownstreamServers,
    format: p.format,
    outputDir: p.outputDir === '' ? abs(`connector-output/${name}`) : abs(p.outputDir),
    outputFormats,
    partSize: p.partSize,
    pageSize: p.pageSize,
    fullReportEvery: p.fullReportEvery,
    schedule: p.schedule,
    proxy,
    timeouts: { connectMs: p.connectTimeoutSeconds * 1000, requestMs: p.requestTimeoutSeconds * 1000 },
    retry: { retries: p.retries, baseDelayMs: p.retryBaseMs, maxDelayMs: p.retryMaxDelaySeconds * 1000 },
  };
}
