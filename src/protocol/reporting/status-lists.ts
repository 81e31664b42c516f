import type { UpdateId } from '../../domain/index.js';
import { parseGuid } from '../soap/index.js';
import { invalidParameter } from '../xml/index.js';
import { miscDataValue } from './report-event-batch.js';

/** The client status event: WS2025 derives Installed / NotInstalled per computer from it (docs/protocol/client.md §1.11). */
export const clientStatusEventId = 156;

/**
 * The two update-id lists of a `156` event's MiscData: `U=<guid>;<guid>…` (applicable, not installed) and
 * `V=…` (installed). Leaf software update ids only, upper case on the wire, returned lower case. A later 156
 * replaces the whole set, so an absent list means "none" only when the event is a 156.
 */
export interface ClientStatusLists {
  readonly notInstalled: readonly UpdateId[];
  readonly installed: readonly UpdateId[];
}

function parseList(text: string | undefined, key: string, maxIds: number): UpdateId[] {
  if (text === undefined || text === '') return [];
  const path = `MiscData.${key}`;
  // 37 characters per id incl. the separator: refuse before splitting a huge string.
  if (text.length > maxIds * 40) throw invalidParameter(path, `more than ${maxIds} update ids`);
  const out: UpdateId[] = [];
  const seen = new Set<string>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue; // tolerate a trailing ';'
    const id = parseGuid(part, path);
    if (seen.has(id)) continue;
    if (out.length === maxIds) throw invalidParameter(path, `more than ${maxIds} update ids`);
    seen.add(id);
    out.push(id);
  }
  return out;
}

/** Parses the U/V lists (duplicates removed, order kept). Throws InvalidParameters `MiscData.U`/`MiscData.V`. */
export function parseStatusLists(miscData: readonly string[], maxIds: number): ClientStatusLists {
  return {
    notInstalled: parseList(miscDataValue(miscData, 'U'), 'U', maxIds),
    installed: parseList(miscDataValue(miscData, 'V'), 'V', maxIds),
  };
}
