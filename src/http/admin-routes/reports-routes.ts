import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  formatReport,
  type ApprovalStateFilter,
  type ReportsService,
  type ReportTable,
} from '../../reports/index.js';
import { problems } from './schemas.js';

const formatQuery = {
  format: { type: 'string', enum: ['json', 'csv'], description: 'json (default) or csv (RFC 4180).' },
} as const;
const groupQuery = {
  group: { type: 'string', minLength: 1, maxLength: 200, description: 'Group id or name (with subgroups).' },
} as const;
const limitQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Row limit (default 10,000).' },
} as const;
const reportSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    report: { type: 'string' },
    title: { type: 'string' },
    generatedAt: { type: 'string' },
    truncated: { type: 'boolean' },
    columns: { type: 'array', items: { type: 'string' } },
    rows: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

function send(reply: FastifyReply, report: ReportTable, format: string | undefined): FastifyReply {
  if (format === 'csv')
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${report.name}.csv"`)
      .send(formatReport(report, 'csv'));
  return reply.header('content-type', 'application/json; charset=utf-8').send(formatReport(report, 'json'));
}

/** The reports service (src/reports) over HTTP: the same tables the `patchbay reports` commands print. */
export function registerReportRoutes(app: FastifyInstance, reports: ReportsService): void {
  const common = { config: { permission: 'reports:read' as const } };
  app.get<{
    Querystring: {
      format?: string;
      group?: string;
      classification?: string;
      product?: string;
      severity?: string;
      approval?: ApprovalStateFilter;
      text?: string;
      limit?: number;
    };
  }>(
    '/api/v1/reports/updates',
    {
      ...common,
      schema: {
        summary:
          'Update status: per update, computers installed / needed / failed / not applicable / no status',
        tags: ['reports'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...formatQuery,
            ...groupQuery,
            classification: { type: 'string', maxLength: 200 },
            product: { type: 'string', maxLength: 200 },
            severity: { type: 'string', maxLength: 20 },
            approval: {
              type: 'string',
              enum: ['any', 'any-except-declined', 'approved', 'unapproved', 'declined'],
            },
            text: { type: 'string', maxLength: 200 },
            ...limitQuery,
          },
        },
        response: { 200: reportSchema, ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      return send(reply, await reports.updateStatus(filter), format);
    },
  );
  app.get<{ Querystring: { format?: string; group?: string; limit?: number } }>(
    '/api/v1/reports/computers',
    {
      ...common,
      schema: {
        summary: 'Computer status: per computer, updates installed / needed / failed, last contact',
        tags: ['reports'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...formatQuery, ...groupQuery, ...limitQuery },
        },
        response: { 200: reportSchema, ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      return send(reply, await reports.computerStatus(filter), format);
    },
  );
  app.get<{ Querystring: { format?: string; group?: string } }>(
    '/api/v1/reports/compliance/severity',
    {
      ...common,
      schema: {
        summary: 'Compliance per MSRC severity',
        tags: ['reports'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...formatQuery, ...groupQuery },
        },
        response: { 200: reportSchema, ...problems(403, 404) },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      return send(reply, await reports.complianceBySeverity(filter), format);
    },
  );
  app.get<{ Querystring: { format?: string } }>(
    '/api/v1/reports/compliance/groups',
    {
      ...common,
      schema: {
        summary: 'Compliance per computer group',
        tags: ['reports'],
        querystring: { type: 'object', additionalProperties: false, properties: formatQuery },
        response: { 200: reportSchema, ...problems(403) },
      },
    },
    async (req, reply) => send(reply, await reports.complianceByGroup(), req.query.format),
  );
  app.get<{ Querystring: { format?: string; limit?: number } }>(
    '/api/v1/reports/sync',
    {
      ...common,
      schema: {
        summary: 'Synchronization results, newest first',
        tags: ['reports'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...formatQuery, ...limitQuery },
        },
        response: { 200: reportSchema, ...problems(403) },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      return send(reply, await reports.syncResults(filter), format);
    },
  );
}
