/**
 * Identifier names. They are plain aliases, not brands: a brand would stop at the first repository (storage
 * takes and returns plain strings and numbers) and every test and fixture would need casts, so it gave no
 * guarantee past the decoders. What holds instead: update, group and computer ids are lower-case GUIDs, made so
 * where they enter (the wire decoders and the admin input checks use `parseGuid`), because the wire and the
 * documents mix cases (docs/protocol/update-xml.md §3.8); compare them by value.
 */

/** An update's GUID (lower case). */
export type UpdateId = string;
/** The server-local int32 revision id handed to clients; stable, never reused. */
export type RevisionId = number;
/** A computer group's GUID (lower case). */
export type GroupId = string;
/** A computer's SusClientId (lower case GUID). */
export type ComputerId = string;

const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

/** Returns the lower-case GUID, or undefined when `value` is not a GUID. */
export function parseGuid(value: string): string | undefined {
  const v = value.trim();
  return guidPattern.test(v) ? v.toLowerCase() : undefined;
}

/** The lower-case GUID; throws on anything else (for ids that are known good: constants, fixtures). */
function guidOrThrow(value: string): string {
  const g = parseGuid(value);
  if (g === undefined) throw new TypeError(`not a GUID: ${JSON.stringify(value.slice(0, 64))}`);
  return g;
}

export const asUpdateId: (value: string) => UpdateId = guidOrThrow;
export const asGroupId: (value: string) => GroupId = guidOrThrow;

/** An update revision's global identity: (UpdateID, RevisionNumber). */
export interface UpdateIdentity {
  readonly updateId: UpdateId;
  readonly revisionNumber: number;
}

export function identityKey(identity: UpdateIdentity): string {
  return `${identity.updateId}/${identity.revisionNumber}`;
}

/** Built-in computer groups (WSUS ids). */
export const allComputersGroupId = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
export const unassignedComputersGroupId = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';
