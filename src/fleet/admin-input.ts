import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';

/** A GUID parameter, lower-cased; anything else is PB_ERR_INVALID_PARAMETER naming the parameter. */
export function requireGuid(value: string, parameter: string): string {
  const g = typeof value === 'string' && value.length <= 64 ? parseGuid(value) : undefined;
  if (g === undefined)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${parameter} must be a GUID`, { detail: { parameter } });
  return g;
}

/** A display name: 1..256 characters, no control characters. */
export function requireName(value: string, parameter: string): string {
  const v = typeof value === 'string' ? value.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || v.length > 256 || /[\u0000-\u001f\u007f]/.test(v))
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${parameter} must be 1 to 256 printable characters`, {
      detail: { parameter },
    });
  return v;
}

/** A KB number: digits, optionally prefixed with KB. */
export function requireKb(value: string): string {
  const v = value.trim().replace(/^kb/i, '');
  if (!/^[0-9]{1,10}$/.test(v))
    throw new AppError('PB_ERR_INVALID_PARAMETER', `not a KB number: ${JSON.stringify(value.slice(0, 32))}`, {
      detail: { parameter: 'kb' },
    });
  return v;
}

/** Caps on list inputs that come from outside (a request body or a command line). */
export const maxSelectorItems = 1000;
export const maxFilterMatches = 5000;

/**
 * An ISO 8601 date or date-time from outside (API body, --deadline). A date without a time means midnight UTC;
 * a time without a zone is refused, because "09:00" on a server in another zone is not what the admin meant.
 */
export function parseIsoTime(value: string, parameter: string): number {
  const v = value.trim();
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(v) ||
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v);
  const ms = ok ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms))
    throw new AppError(
      'PB_ERR_INVALID_PARAMETER',
      `${parameter} must be an ISO 8601 date or date-time with a zone (e.g. 2026-11-20T18:00:00Z)`,
      {
        detail: { parameter },
      },
    );
  return ms;
}
