/**
 * Loads the configuration: embedded defaults < INI file < environment (`PATCHBAY_<SECTION>_<KEY>`).
 * The file is untrusted input: size-limited, strict UTF-8, `__proto__`-style names rejected, unknown keys
 * reported (a typo must never be silently ignored). Every problem is collected and reported with its INI
 * path; nothing throws for a bad value. The result is resolved (absolute paths, secrets read from their
 * files, proxy from the standard environment variables) and deep-frozen, to be passed in, never a global.
 */
import { deepFreeze, suggestKey } from './key-helpers.js';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { configSchema, sectionNames, type ParsedConfig } from './schema.js';
import {
  configFields,
  envPrefix,
  fieldByEnvName,
  fieldByIniPath,
  fieldBySchemaPath,
  isSectionName,
} from './keys.js';
import { configInvalidError, type ConfigProblem } from './problems.js';
import { errnoText, readIniText, readSecretFile, parseIniText } from './ini-file.js';
import { walkIniSections, type IniLayout } from './ini-sections.js';

/** Largest accepted config file. Real files are a few KiB. */
export const maxConfigFileBytes = 1024 * 1024;
/** Largest accepted secret file (password files). */
export const maxSecretFileBytes = 64 * 1024;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * The effective configuration. Same shape as the schema output, resolved: every path is absolute
 * (`database.path` and `content.dir` filled from `server.data_dir` when not set), `database.password` and
 * `upstream.proxyPassword` hold the secret (from the environment or the *_file), and URLs carry no
 * credentials (they are moved to the password/username fields).
 */
export type Config = DeepReadonly<ParsedConfig>;

export interface LoadConfigOptions {
  /** INI file to read; undefined = embedded defaults (+ environment). */
  file?: string | undefined;
  /** Environment to take overrides from (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths (default: process.cwd()). */
  cwd?: string;
}

export type LoadConfigResult =
  | { ok: true; config: Config; file: string | undefined }
  | { ok: false; problems: ConfigProblem[]; file: string | undefined };

interface Origin {
  source: string;
  fromFile: boolean;
}

/** Loads and validates; never throws for configuration problems (returns them). */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file === undefined ? undefined : resolve(cwd, options.file);
  const problems: ConfigProblem[] = [];
  // Input for the schema, per section, with null prototypes: keys come from an untrusted file.
  const input: Record<string, Record<string, unknown>> = Object.create(null) as Record<
    string,
    Record<string, unknown>
  >;
  const origins = new Map<string, Origin>();

  if (file !== undefined) {
    const text = await readIniText(file, problems, maxConfigFileBytes);
    if (text !== undefined) readIni(text, basename(file), input, origins, problems);
  }
  readEnv(env, input, origins, problems);
  // Every section may be absent: its keys then take their defaults.
  for (const section of sectionNames) input[section] ??= Object.create(null) as Record<string, unknown>;

  // Values are validated even when the file has structural problems, so one run reports everything.
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [section, key] = issue.path.map(String);
      const field = section !== undefined && key !== undefined ? fieldBySchemaPath(section, key) : undefined;
      const path = field ? field.iniPath : issue.path.map(String).join('.') || '(config)';
      const origin = origins.get(path);
      problems.push({ path, message: issue.message, ...(origin ? { source: origin.source } : {}) });
    }
    return { ok: false, problems, file };
  }
  if (problems.length > 0) return { ok: false, problems, file };

  const resolved = await resolveConfig(parsed.data, { cwd, file, env, origins, problems });
  if (problems.length > 0) return { ok: false, problems, file };
  return { ok: true, config: deepFreeze(resolved), file };
}

/** Loads and validates; throws PB_ERR_CONFIG_INVALID listing every problem. */
export async function loadConfigOrThrow(options: LoadConfigOptions = {}): Promise<Config> {
  const r = await loadConfig(options);
  if (!r.ok) throw configInvalidError(r.problems, r.file);
  return r.config;
}

function readIni(
  text: string,
  fileName: string,
  input: Record<string, Record<string, unknown>>,
  origins: Map<string, Origin>,
  problems: ConfigProblem[],
): void {
  const iniFile = parseIniText(text, fileName, problems);
  if (iniFile === undefined) return;
  walkIniSections(iniFile, fileName, patchbayIniLayout, problems, {
    key: (section, iniKey, value, path) => {
      const field = fieldByIniPath(section, iniKey)!;
      (input[section] ??= Object.create(null) as Record<string, unknown>)[field.key] = value;
      origins.set(path, { source: iniFile.where(path), fromFile: true });
    },
  });
}

/** `patchbay.ini`: the schema's sections and keys; secrets (envOnly keys) never come from the file. */
const patchbayIniLayout: IniLayout = {
  outsideSectionHint: 'put it under [server], [log], ...',
  section: (name) =>
    isSectionName(name)
      ? { keys: configFields.filter((f) => f.section === name).map((f) => f.iniKey) }
      : {
          problem: `unknown section (known: ${[...new Set(configFields.map((f) => f.section))].join(', ')})`,
        },
  refusedKey: (section, iniKey) => {
    const field = fieldByIniPath(section, iniKey);
    if (!field?.meta.envOnly) return undefined;
    const fileKey = fieldByIniPath(section, `${iniKey}_file`) ? ` or ${iniKey}_file` : '';
    return `secrets are not accepted in the configuration file; set ${field.envName}${fileKey}`;
  },
};

/** Suggests the closest known key of the section, for typos. */
function suggest(section: string, iniKey: string): string {
  return suggestKey(
    configFields.filter((f) => f.section === section).map((f) => f.iniKey),
    iniKey,
  );
}

/**
 * `PATCHBAY_<SECTION>_<KEY>`: the section is the word after the prefix, the rest is the snake_case key in
 * upper case. A variable naming a known section but an unknown key is a problem (typo); variables whose
 * second word is not a section (e.g. PATCHBAY_TEST_CONCURRENCY) belong to other tools and are ignored.
 */
function readEnv(
  env: Readonly<Record<string, string | undefined>>,
  input: Record<string, Record<string, unknown>>,
  origins: Map<string, Origin>,
  problems: ConfigProblem[],
): void {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(envPrefix)) continue;
    const value = env[name];
    if (value === undefined) continue;
    const rest = name.slice(envPrefix.length);
    // The field first: a section name may hold an underscore (`upstream_service`), so its first word alone
    // (`upstream`) is not the section of PATCHBAY_UPSTREAM_SERVICE_ENABLED.
    const field = fieldByEnvName(name);
    const section = field?.section ?? rest.split('_', 1)[0]?.toLowerCase() ?? '';
    if (!isSectionName(section)) continue;
    if (!field) {
      const iniKey = rest.slice(section.length + 1).toLowerCase();
      problems.push({
        path: `${section}.${iniKey}`,
        message: `unknown setting${suggest(section, iniKey)}`,
        source: name,
      });
      continue;
    }
    (input[section] ??= Object.create(null) as Record<string, unknown>)[field.key] = value;
    origins.set(field.iniPath, { source: name, fromFile: false });
  }
}

interface ResolveContext {
  cwd: string;
  /** The INI file read, if any: relative paths written in it resolve against its folder. */
  file: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  origins: Map<string, Origin>;
  problems: ConfigProblem[];
}

async function resolveConfig(c: ParsedConfig, ctx: ResolveContext): Promise<ParsedConfig> {
  const { cwd, origins, problems } = ctx;
  // A relative path written in the INI file means "next to this file", so a data directory that carries its
  // patchbay.ini (a restored backup, a copied install) works wherever it lands; one from the environment or
  // a default keeps the working directory as its base.
  const fileDir = ctx.file === undefined ? undefined : dirname(ctx.file);
  const abs = (p: string, iniPath: string) => {
    if (p === '' || isAbsolute(p)) return p;
    const base = fileDir !== undefined && origins.get(iniPath)?.fromFile === true ? fileDir : cwd;
    return resolve(base, p);
  };
  const sourceOf = (path: string) => origins.get(path)?.source;
  const problem = (path: string, message: string) => {
    const source = sourceOf(path);
    problems.push({ path, message, ...(source ? { source } : {}) });
  };

  const dataDir = abs(c.server.dataDir, 'server.data_dir');
  const server = {
    ...c.server,
    dataDir,
    tlsCertFile: abs(c.server.tlsCertFile, 'server.tls_cert_file'),
    tlsKeyFile: abs(c.server.tlsKeyFile, 'server.tls_key_file'),
  };
  for (const [key, path] of [
    ['tls_cert_file', server.tlsCertFile],
    ['tls_key_file', server.tlsKeyFile],
  ] as const) {
    if (path !== '') await checkReadableFile(path, (m) => problem(`server.${key}`, m));
  }

  // Database: the URL never keeps a password; one from the environment moves to `password`.
  const database = {
    ...c.database,
    path: '',
    passwordFile: abs(c.database.passwordFile, 'database.password_file'),
  };
  if (c.database.driver === 'sqlite')
    database.path =
      c.database.path === '' ? join(dataDir, 'patchbay.db') : abs(c.database.path, 'database.path');
  if (database.url !== '') {
    const u = new URL(database.url);
    if (u.password !== '') {
      if (origins.get('database.url')?.fromFile) {
        problem(
          'database.url',
          'must not contain the password; set PATCHBAY_DATABASE_PASSWORD or password_file',
        );
      } else if (database.password !== '') {
        problem('database.url', 'contains a password and PATCHBAY_DATABASE_PASSWORD is set too; use one');
      } else {
        database.password = decodeURIComponent(u.password);
        u.password = '';
        database.url = u.toString();
      }
    }
  }
  if (database.passwordFile !== '') {
    const secret = await readSecretFile(
      database.passwordFile,
      (m) => problem('database.password_file', m),
      maxSecretFileBytes,
    );
    if (secret !== undefined) database.password = secret;
  }

  const content = {
    ...c.content,
    dir: c.content.dir === '' ? join(dataDir, 'content') : abs(c.content.dir, 'content.dir'),
  };

  // Upstream proxy: the configured one, else the standard variables (unless NO_PROXY covers the upstream).
  const upstream = {
    ...c.upstream,
    proxyPasswordFile: abs(c.upstream.proxyPasswordFile, 'upstream.proxy_password_file'),
  };
  let proxySourcePath = 'upstream.proxy_url';
  if (upstream.proxyUrl === '') {
    const fromEnv = proxyFromEnvironment(upstream.url, ctx.env);
    if (fromEnv) {
      proxySourcePath = fromEnv.name;
      try {
        const u = new URL(fromEnv.value);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
        upstream.proxyUrl = fromEnv.value;
      } catch {
        problems.push({
          path: 'upstream.proxy_url',
          message: `expected a URL starting with http:// or https://, got ${JSON.stringify(fromEnv.value.slice(0, 80))}`,
          source: fromEnv.name,
        });
      }
    }
  }
  if (upstream.proxyUrl !== '') {
    const u = new URL(upstream.proxyUrl);
    const fromFile =
      proxySourcePath === 'upstream.proxy_url' && origins.get('upstream.proxy_url')?.fromFile === true;
    if (u.password !== '' && fromFile) {
      problem(
        'upstream.proxy_url',
        'must not contain the password; set PATCHBAY_UPSTREAM_PROXY_PASSWORD or proxy_password_file',
      );
    } else if (u.username !== '' || u.password !== '') {
      if (upstream.proxyUsername === '') upstream.proxyUsername = decodeURIComponent(u.username);
      if (upstream.proxyPassword === '' && u.password !== '')
        upstream.proxyPassword = decodeURIComponent(u.password);
      u.username = '';
      u.password = '';
      upstream.proxyUrl = u.toString();
    }
  }
  if (upstream.proxyPasswordFile !== '') {
    const secret = await readSecretFile(
      upstream.proxyPasswordFile,
      (m) => problem('upstream.proxy_password_file', m),
      maxSecretFileBytes,
    );
    if (secret !== undefined) upstream.proxyPassword = secret;
  }

  return { ...c, server, database, content, upstream };
}

/** HTTPS_PROXY for an https upstream (falling back to HTTP_PROXY), HTTP_PROXY for http; NO_PROXY respected. */
export function proxyFromEnvironment(
  upstreamUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): { name: string; value: string } | undefined {
  const pick = (...names: string[]) => {
    for (const name of names) {
      const v = env[name]?.trim();
      if (v) return { name, value: v };
    }
    return undefined;
  };
  const u = new URL(upstreamUrl);
  const candidate =
    u.protocol === 'https:'
      ? pick('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy')
      : pick('HTTP_PROXY', 'http_proxy');
  if (!candidate) return undefined;
  const noProxy = pick('NO_PROXY', 'no_proxy')?.value;
  if (noProxy && matchesNoProxy(u.hostname, noProxy)) return undefined;
  return candidate;
}

/** NO_PROXY semantics as curl: `*`, exact host, or a domain suffix (`example.com` / `.example.com`). */
export function matchesNoProxy(hostname: string, noProxy: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    entry = entry.replace(/^\*?\./, '').replace(/:\d+$/, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

async function checkReadableFile(path: string, report: (message: string) => void): Promise<void> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return report(`${path} is not a regular file`);
    await access(path, fsConstants.R_OK);
  } catch (e) {
    report(`cannot read ${path}: ${errnoText(e)}`);
  }
}
