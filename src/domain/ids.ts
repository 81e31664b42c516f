/**
 * Branded identifiers, so that an update id cannot be passed where a group id is expected.
 * Update ids (GUIDs) are always held in lower case: the wire and the documents mix cases
 * (docs/protocol/update-xml.md §3.8), so normalise at the decoder and compare by value afterwards.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** An update's GUID (lower case). */
export type UpdateId = Brand<string, 'UpdateId'>;
/** The server-local int32 revision id handed to clients; stable, never reused. */
export type RevisionId = Brand<number, 'RevisionId'>;
/** A computer group's GUID (lower case). */
export type GroupId = Brand<string, 'GroupId'>;
/** A computer's SusClientId (lower case GUID). */
export type ComputerId = Brand<string, 'ComputerId'>;
/** A catalog generation number (monotonic). */
export type GenerationId = Brand<number, 'GenerationId'>;

const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

/** Returns the lower-case GUID, or undefined when `value` is not a GUID. */
export function parseGuid(value: string): string | undefined {
  const v = value.trim();
  return guidPattern.test(v) ? v.toLowerCase() : undefined;
}

export function asUpdateId(value: string): UpdateId {
  const g = parseGuid(value);
  if (g === undefined) throw new TypeError(`not a GUID: ${JSON.stringify(value.slice(0, 64))}`);
  return g as UpdateId;
}

export function asGroupId(value: string): GroupId {
  const g = parseGuid(value);
  if (g === undefined) throw new TypeError(`not a GUID: ${JSON.stringify(value.slice(0, 64))}`);
  return g as GroupId;
}

export function asComputerId(value: string): ComputerId {
  const g = parseGuid(value);
  if (g === undefined) throw new TypeError(`not a GUID: ${JSON.stringify(value.slice(0, 64))}`);
  return g as ComputerId;
}

export function asRevisionId(value: number): RevisionId {
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff)
    throw new RangeError(`not a revision id: ${value}`);
  return value as RevisionId;
}

/** An update revision's global identity: (UpdateID, RevisionNumber). */
export interface UpdateIdentity {
  readonly updateId: UpdateId;
  readonly revisionNumber: number;
}

export function identityKey(identity: UpdateIdentity): string {
  return `${identity.updateId}/${identity.revisionNumber}`;
}

/** Built-in computer groups (WSUS ids). */
export const allComputersGroupId = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421' as GroupId;
export const unassignedComputersGroupId = 'b73ca6ed-5727-47f3-84de-015e03f6a88a' as GroupId;
