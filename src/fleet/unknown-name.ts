/**
 * Names an admin types (classification, product, group, severity) that match nothing. A filter or target
 * naming nothing would otherwise select nothing and exit 0 having done nothing, so it is bad input
 * (PB_ERR_INVALID_PARAMETER: exit 65, HTTP 400) with the closest known name as a suggestion.
 */
import { closestName } from '../config/index.js';
import { AppError } from '../errors.js';

export function unknownNameError(
  kind: string,
  parameter: string,
  name: string,
  known: readonly string[],
): AppError {
  const shown = JSON.stringify(name.slice(0, 80));
  const best = closestName(known, name.trim());
  // A short closed list (severities) is worth printing whole when nothing is close.
  const hint =
    best !== undefined
      ? ` (did you mean ${JSON.stringify(best)}?)`
      : known.length > 0 && known.length <= 8
        ? ` (one of ${known.join(', ')})`
        : '';
  return new AppError('PB_ERR_INVALID_PARAMETER', `unknown ${kind} ${shown}${hint}`, {
    detail: { parameter, ...(best !== undefined ? { suggestion: best } : {}) },
  });
}
