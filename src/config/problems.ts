/**
 * A configuration problem always names the setting by its INI path (`server.http_port`), so an operator can
 * find it in the file, and says where the bad value came from (file line or environment variable).
 */
import { AppError } from '../errors.js';

export interface ConfigProblem {
  /** INI path, e.g. `server.http_port`; a section name or `(file)` for problems not tied to one key. */
  path: string;
  message: string;
  /** Where the value came from: `patchbay.ini line 3`, `PATCHBAY_SERVER_HTTP_PORT`, `HTTPS_PROXY`. */
  source?: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}${p.source ? ` (${p.source})` : ''}`;
}

/** The error every command except `config check` raises for an invalid configuration (exit 78). */
export function configInvalidError(problems: readonly ConfigProblem[], file: string | undefined): AppError {
  const where = file ? ` in ${file}` : '';
  const lines = problems.map((p) => `  ${formatProblem(p)}`).join('\n');
  const n = problems.length;
  return new AppError(
    'PB_ERR_CONFIG_INVALID',
    `configuration is invalid${where} (${n} problem${n === 1 ? '' : 's'}):\n${lines}`,
    {
      detail: { problems: problems.map((p) => ({ ...p })), file },
    },
  );
}
