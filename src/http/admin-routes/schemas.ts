/**
 * JSON schemas shared by the admin routes. They serve twice: fastify validates requests with them, and the
 * OpenAPI document is generated from them (openapi.ts), so the description cannot drift from the code.
 */
export const guidPattern = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the stable Patchbay error code.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', pattern: '^PB_ERR_[A-Z0-9_]+$' },
    context: { type: 'object', additionalProperties: true },
  },
} as const;

const problemRef = { $ref: 'Problem#' } as const;

/** Response entries for the error statuses a route can answer (each a problem document). */
export function problems(...statuses: number[]): Record<number, typeof problemRef> {
  const out: Record<number, typeof problemRef> = {};
  for (const s of [400, 401, ...statuses]) out[s] = problemRef;
  return out;
}

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, description: 'Page size (default 50).' },
  cursor: { type: 'string', maxLength: 512, description: 'The `nextCursor` of the previous page.' },
} as const;

/** A page of `item`. */
export function pageOf(item: object) {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: item },
      nextCursor: { type: 'string', description: 'Absent on the last page.' },
    },
  } as const;
}

export const openObject = { type: 'object', additionalProperties: true } as const;

const nullableString = { type: ['string', 'null'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

export const updateSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    updateId: { type: 'string' },
    revisionId: { type: 'integer' },
    revisionNumber: { type: 'integer' },
    title: nullableString,
    kbArticleId: nullableString,
    msrcSeverity: nullableString,
    updateType: { type: 'string' },
    publicationState: nullableString,
    isBundle: { type: 'boolean' },
    isExplicitlyDeployable: { type: 'boolean' },
    isDeclined: { type: 'boolean' },
    neededCount: { type: 'integer' },
    approvalCount: { type: 'integer' },
    content: {
      type: ['object', 'null'],
      description:
        'Approved updates in content modes approved/all: stored (offered), waiting (for its files) or failed (with the reason). Null otherwise.',
      properties: {
        state: { type: 'string', enum: ['stored', 'waiting', 'failed'] },
        reason: nullableString,
      },
    },
    catalogState: {
      type: 'string',
      enum: ['served', 'quarantined', 'pending'],
      description:
        'served: clients are offered this revision; quarantined: the sync held it out (see quarantine); ' +
        'pending: stored, not yet in the active catalog generation (pinned catalog, or not activated yet).',
    },
    servedRevisionNumber: { ...nullableInt, description: 'The revision clients are offered, if any.' },
    quarantine: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: {
        reasonCode: { type: 'string' },
        detail: nullableString,
        causedByUpdateId: nullableString,
      },
    },
    classifications: { type: 'array', items: openObject },
    products: { type: 'array', items: openObject },
    isSuperseded: { type: 'boolean', description: 'Superseded by an update of the active catalog.' },
    supersededBy: {
      type: 'array',
      description: 'The superseding updates (direct and through chains), each with approved/declined.',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          updateId: { type: 'string' },
          kbArticleId: nullableString,
          title: nullableString,
          approved: { type: 'boolean' },
          declined: { type: 'boolean' },
          direct: { type: 'boolean' },
        },
      },
    },
    supersededSince: { ...nullableInt, description: 'When the first superseding revision arrived (ms).' },
  },
} as const;

export const groupSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    groupId: { type: 'string' },
    name: { type: 'string' },
    parentGroupId: nullableString,
    description: nullableString,
    isBuiltin: { type: 'boolean' },
    path: { type: 'string' },
    memberCount: { type: 'integer' },
  },
} as const;

export const computerSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    computerId: { type: 'string' },
    name: nullableString,
    ipAddress: nullableString,
    os: nullableString,
    osVersion: nullableString,
    make: nullableString,
    model: nullableString,
    clientVersion: nullableString,
    registeredAt: { type: 'integer' },
    lastSyncAt: nullableInt,
    lastReportAt: nullableInt,
    groups: { type: 'array', items: openObject },
  },
} as const;

export const approvalSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    updateId: { type: 'string' },
    groupId: { type: 'string' },
    action: { type: 'string', enum: ['install', 'uninstall', 'not_approved'] },
    deadlineAt: nullableInt,
    approvedBy: { type: 'string' },
    approvedVia: { type: 'string' },
    approvedAt: { type: 'integer' },
  },
} as const;

export const approvalPlanSchema = {
  type: 'object',
  required: ['dryRun', 'changes'],
  properties: { dryRun: { type: 'boolean' }, changes: { type: 'array', items: openObject } },
} as const;

export const ruleSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    ruleId: { type: 'integer' },
    name: { type: 'string' },
    isEnabled: { type: 'boolean' },
    action: { type: 'string' },
    criteria: openObject,
    groupIds: { type: 'array', items: { type: 'string' } },
    deadlineOffsetMs: nullableInt,
    ringsPlan: {
      type: ['array', 'null'],
      description: 'Stages of a ringed rule (ring id, current name, deadline offset ms); null: plain rule.',
      items: openObject,
    },
  },
} as const;

export const tokenSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    tokenId: { type: 'integer' },
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'integer' },
    expiresAt: nullableInt,
    lastUsedAt: nullableInt,
    revokedAt: nullableInt,
  },
} as const;

const stringList = {
  type: 'array',
  maxItems: 50,
  items: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

/** Update filter properties (query string of GET /updates, `filter` object of the write bodies). */
export const updateFilterProperties = {
  text: { type: 'string', maxLength: 200, description: 'Title substring, KB number or update id.' },
  kb: { type: 'string', maxLength: 12, description: 'KB article number (with or without KB).' },
  classification: { ...stringList, description: 'Classification ids or titles (any of).' },
  product: { ...stringList, description: 'Product ids or titles (any of).' },
  severity: {
    type: 'string',
    enum: ['Critical', 'Important', 'Moderate', 'Low', 'critical', 'important', 'moderate', 'low'],
  },
  approval: { type: 'string', enum: ['approved', 'unapproved', 'declined'] },
  group: {
    type: 'string',
    maxLength: 256,
    description: 'With `approval`: approvals set on this group (id or name).',
  },
  neededMin: { type: 'integer', minimum: 0, description: 'At least this many computers need the update.' },
  needed: { type: 'boolean', description: 'true: needed by at least one computer; false: by none.' },
  superseded: {
    type: 'boolean',
    description: 'true: superseded by an update of the active catalog; false: not superseded.',
  },
  failed: {
    type: 'boolean',
    description: 'true: failed to install on at least one computer; false: on none.',
  },
  includeHidden: { type: 'boolean', description: 'Also list bundle members (not explicitly deployable).' },
  catalogState: {
    type: 'string',
    enum: ['served', 'quarantined', 'pending'],
    description: 'Only updates whose current revision is in this catalog state.',
  },
} as const;

/** Which updates a write acts on: exactly one of updateIds, kbs, filter. */
export const selectionProperties = {
  updateIds: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: guidPattern } },
  kbs: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', maxLength: 12 } },
  filter: { type: 'object', additionalProperties: false, properties: updateFilterProperties },
} as const;
