/**
 * Which configuration file a command uses: `-c FILE` when given (it must exist), else `./patchbay.ini`
 * when present, else the embedded defaults; environment overrides apply in every case.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadConfigOrThrow, type Config, type LoadConfigResult } from '../config/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';

export const defaultConfigFile = 'patchbay.ini';

export function configFileFor(opts: GlobalOptions, io: CliIo): string | undefined {
  if (opts.config !== undefined) return opts.config;
  const fallback = join(io.cwd, defaultConfigFile);
  return existsSync(fallback) ? fallback : undefined;
}

export function loadCliConfig(opts: GlobalOptions, io: CliIo): Promise<LoadConfigResult> {
  return loadConfig({ file: configFileFor(opts, io), env: io.env, cwd: io.cwd });
}

export function loadCliConfigOrThrow(opts: GlobalOptions, io: CliIo): Promise<Config> {
  return loadConfigOrThrow({ file: configFileFor(opts, io), env: io.env, cwd: io.cwd });
}
