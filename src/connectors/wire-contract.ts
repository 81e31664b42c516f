/**
 * Patchbay connector wire contract, version 1 (docs/connector.md is the prose version). Both sides use these
 * definitions: the connector (src/connectors/target-client.ts) and the reference receiver
 * (src/connectors/receiver/). Every call is idempotent by (run id, group[, part index]), so a connector may
 * retry any request after a timeout without the target double-counting.
 *
 *   GET  {base}/patchbay-connector/v1/authorize?instance=I&group=G  -> 200 {authorized: boolean, reason?}
 *                                                                      (403 also means "not authorized")
 *   POST {base}/patchbay-connector/v1/start   JSON StartEvent        -> 200 {accepted: true}
 *   POST {base}/patchbay-connector/v1/parts   multipart/form-data    -> 200 {stored: true, duplicate: boolean}
 *   POST {base}/patchbay-connector/v1/stop    JSON StopEvent         -> 200 {acknowledged: true}
 */
import { z } from 'zod';
import { wsusUpdateStateNames } from '../domain/index.js';

export const contractVersion = 1;
export const contractPrefix = '/patchbay-connector/v1';

export const endpoints = {
  authorize: `${contractPrefix}/authorize`,
  start: `${contractPrefix}/start`,
  parts: `${contractPrefix}/parts`,
  stop: `${contractPrefix}/stop`,
} as const;

/** Media types of the payload, by upload format. */
export const payloadMediaTypes = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
} as const;

/** Hard limits both sides hold to (a target may be stricter and answer 413). */
export const wireLimits = {
  maxPartBytes: 16 * 1024 * 1024,
  maxParts: 100_000,
  maxGroupLength: 256,
  maxInstanceLength: 64,
  maxJsonBodyBytes: 64 * 1024,
} as const;

export const runIdPattern = /^[A-Za-z0-9-]{8,64}$/;
export const instancePattern = /^[A-Za-z0-9_-]{1,64}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

const groupSchema = z
  .string()
  .min(1)
  .max(wireLimits.maxGroupLength)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed');

export const startEventSchema = z.strictObject({
  contractVersion: z.literal(contractVersion),
  runId: z.string().regex(runIdPattern),
  instance: z.string().regex(instancePattern),
  group: groupSchema,
  /** The WSUS group id the name resolved to. */
  groupId: z.string().max(64),
  /** full: every computer of the group; incremental: only those that reported in (since, until]. */
  mode: z.enum(['full', 'incremental']),
  since: z.string().max(40).nullable(),
  until: z.string().max(40),
  format: z.enum(['jsonl', 'csv']),
  items: z
    .array(z.enum(['updates', 'computers']))
    .min(1)
    .max(2),
  startedAt: z.string().max(40),
  connector: z.strictObject({ name: z.string().max(64), version: z.string().max(64) }),
});
export type StartEvent = z.infer<typeof startEventSchema>;

export const recordCountsSchema = z.strictObject({
  updates: z.number().int().min(0),
  computers: z.number().int().min(0),
  statuses: z.number().int().min(0),
});
export type RecordCounts = z.infer<typeof recordCountsSchema>;

export const stopEventSchema = z.strictObject({
  contractVersion: z.literal(contractVersion),
  runId: z.string().regex(runIdPattern),
  instance: z.string().regex(instancePattern),
  group: groupSchema,
  /** Number of parts sent (indexes 0..parts-1); 0 when the document is empty. */
  parts: z.number().int().min(0).max(wireLimits.maxParts),
  /** Bytes of the whole document (the parts concatenated in index order). */
  bytes: z.number().int().min(0),
  /** SHA-256 (hex) of the whole document. */
  sha256: z.string().regex(sha256Pattern),
  records: recordCountsSchema,
  finishedAt: z.string().max(40),
});
export type StopEvent = z.infer<typeof stopEventSchema>;

/** The text fields of an upload (multipart/form-data); the payload is the file field `data`. */
export const partFieldsSchema = z.strictObject({
  contractVersion: z.literal(String(contractVersion)),
  runId: z.string().regex(runIdPattern),
  instance: z.string().regex(instancePattern),
  group: groupSchema,
  partIndex: z.string().regex(/^\d{1,6}$/),
  partTotal: z.string().regex(/^\d{1,6}$/),
  contentType: z.enum(['application/x-ndjson', 'text/csv']),
  sha256: z.string().regex(sha256Pattern),
});
export type PartFields = z.infer<typeof partFieldsSchema>;

export const authorizeAnswerSchema = z.object({
  authorized: z.boolean(),
  reason: z.string().max(1000).optional(),
});
export const startAnswerSchema = z.object({ accepted: z.literal(true) });
export const partAnswerSchema = z.object({ stored: z.literal(true), duplicate: z.boolean().optional() });
export const stopAnswerSchema = z.object({ acknowledged: z.literal(true) });

/** The record types of the document, in document order. */
export const csvColumns = [
  'record_type',
  'update_id',
  'title',
  'kb_article',
  'security_bulletin',
  'msrc_severity',
  'creation_date',
  'approval_action',
  'computer_id',
  'computer_name',
  'last_reported_status_time',
  'state',
] as const;

/** WSUS installation states (vUpdateInstallationInfo.State) by number, in their WSUS spelling. */
export const installationStates = wsusUpdateStateNames;
