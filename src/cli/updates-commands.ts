/** `patchbay updates list|show`: the catalog as administrators see it (current revisions, filters, approvals). */
import type { Command } from 'commander';
import type { UpdateContent, UpdateFilter, UpdateSummary } from '../fleet/index.js';
import type { CatalogState, UpdateRow } from '../storage/index.js';
import { AppError } from '../errors.js';
import { closestName } from '../config/index.js';
import type { CliIo } from './cli-io.js';
import {
  collect,
  emit,
  formatTime,
  nextPageHint,
  pageOptions,
  pageRequest,
  parseIntOption,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';
import type { AdminServices } from '../admin/index.js';

export interface FilterOptions {
  text?: string;
  kb?: string;
  classification?: string[];
  product?: string[];
  severity?: string;
  approval?: string;
  approvalGroup?: string;
  neededMin?: string;
  needed?: boolean;
  superseded?: boolean;
  failed?: boolean;
  notApproved?: boolean;
  all?: boolean;
  catalogState?: string;
}

/** Adds the update filter options (shared by `updates list` and the approve/decline commands). */
export function filterOptions(cmd: Command): Command {
  return cmd
    .option('--text <text>', 'title substring, KB number or update id')
    .option('--classification <name>', 'classification id or title (repeatable)', collect)
    .option('--product <name>', 'product id or title (repeatable)', collect)
    .option('--severity <severity>', 'MSRC severity: Critical, Important, Moderate, Low')
    .option('--approval <state>', 'approved, unapproved or declined')
    .option('--approval-group <group>', 'with --approval: approvals on this group')
    .option('--needed-min <n>', 'needed by at least this many computers')
    .option('--needed', 'needed by at least one computer')
    .option('--superseded', 'superseded by an update of the active catalog')
    .option('--failed', 'failed to install on at least one computer')
    .option('--not-approved', 'neither approved nor declined (same as --approval unapproved)');
}

export function hasFilter(o: FilterOptions): boolean {
  return [
    o.text,
    o.kb,
    o.classification,
    o.product,
    o.severity,
    o.approval,
    o.neededMin,
    o.needed,
    o.superseded,
    o.failed,
    o.notApproved,
  ].some((v) => v !== undefined);
}

export async function toFilter(services: AdminServices, o: FilterOptions): Promise<UpdateFilter> {
  if (o.notApproved === true && o.approval !== undefined && o.approval !== 'unapproved')
    throw new AppError('PB_ERR_USAGE', `--not-approved contradicts --approval ${o.approval}`);
  const approval = o.notApproved === true ? 'unapproved' : o.approval;
  if (approval !== undefined && !approvalStates.includes(approval))
    throw new AppError(
      'PB_ERR_USAGE',
      `--approval must be approved, unapproved or declined, got ${JSON.stringify(approval)}${suggest(approvalStates, approval)}`,
    );
  const neededMin = parseIntOption(o.neededMin, '--needed-min', 0, 1_000_000_000);
  const catalogState = o.catalogState;
  if (catalogState !== undefined && !catalogStates.includes(catalogState as CatalogState))
    throw new AppError(
      'PB_ERR_USAGE',
      `--catalog-state must be served, quarantined or pending, got ${JSON.stringify(catalogState)}${suggest(catalogStates, catalogState)}`,
    );
  return {
    ...(o.text !== undefined ? { text: o.text } : {}),
    ...(o.kb !== undefined ? { kb: o.kb } : {}),
    ...(o.classification !== undefined ? { classifications: o.classification } : {}),
    ...(o.product !== undefined ? { products: o.product } : {}),
    ...(o.severity !== undefined ? { severity: o.severity } : {}),
    ...(approval !== undefined ? { approval: approval as 'approved' | 'unapproved' | 'declined' } : {}),
    ...(o.approvalGroup !== undefined
      ? { approvalGroupId: (await services.groups.resolve(o.approvalGroup, 'approvalGroup')).groupId }
      : {}),
    ...(neededMin !== undefined ? { neededMin } : {}),
    ...(o.needed === true ? { needed: true } : {}),
    ...(o.superseded === true ? { superseded: true } : {}),
    ...(o.failed === true ? { failed: true } : {}),
    ...(o.all === true ? { includeHidden: true } : {}),
    ...(catalogState !== undefined ? { catalogState: catalogState as CatalogState } : {}),
  };
}

const catalogStates: readonly CatalogState[] = ['served', 'quarantined', 'pending'];
const approvalStates: readonly string[] = ['approved', 'unapproved', 'declined'];

/** ` (did you mean "x"?)` for a mistyped closed-list value, else nothing. */
function suggest(known: readonly string[], got: string): string {
  const best = closestName(known, got);
  return best === undefined ? '' : ` (did you mean ${JSON.stringify(best)}?)`;
}

/** The superseding updates in a few words: the first one (approved or not) and how many more. */
export function supersededText(u: UpdateSummary): string {
  const first = u.supersededBy[0];
  if (first === undefined) return '';
  const label = first.kbArticleId ? `KB${first.kbArticleId}` : first.updateId;
  const state = first.declined ? 'declined' : first.approved ? 'approved' : 'not approved';
  const more = u.supersededBy.length > 1 ? ` +${u.supersededBy.length - 1}` : '';
  return `${label} (${state})${more}`;
}

/** What clients get of this update, in words (the CATALOG column and the Catalog line of `updates show`). */
function catalogText(u: UpdateRow): string {
  if (u.catalogState === 'served') return 'served';
  const older = u.servedRevisionNumber === null ? '' : `; clients get revision ${u.servedRevisionNumber}`;
  if (u.catalogState === 'pending') return `pending activation${older}`;
  return `quarantined: ${u.quarantine?.reasonCode ?? ''}${older}`;
}

export function registerUpdatesCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const updates = program.command('updates').description('list and inspect updates');

  pageOptions(
    filterOptions(updates.command('list').description('list updates (current revisions) with filters'))
      .option('--kb <number>', 'KB article number')
      .option('--all', 'also list bundle members (not explicitly deployable)')
      .option(
        '--catalog-state <state>',
        'served (clients are offered it), quarantined (held out by the sync) or pending (not activated yet)',
      ),
  ).action(async (opts: FilterOptions & JsonOption & { limit?: string; cursor?: string }, cmd: Command) =>
    withAdmin(cmd, io, async (s) => {
      const page = await s.updates.list(await toFilter(s, opts), pageRequest(opts));
      emit(io, opts, page, () =>
        // A bare header row read like a listing that failed; say that nothing matched instead.
        page.items.length === 0
          ? 'No updates match these filters.\n'
          : renderTable(
              [
                'UPDATE ID',
                'KB',
                'SEVERITY',
                'CLASSIFICATION',
                'STATE',
                'CATALOG',
                'NEEDED',
                'SUPERSEDED BY',
                'TITLE',
              ],
              page.items.map((u) => [
                u.updateId,
                u.kbArticleId ? `KB${u.kbArticleId}` : '',
                u.msrcSeverity ?? '',
                u.classifications.map((c) => c.title ?? c.updateId).join(', '),
                approvalState(u),
                catalogText(u),
                u.neededCount,
                supersededText(u),
                u.title,
              ]),
            ) + nextPageHint(page.nextCursor),
      );
    }),
  );

  updates
    .command('show')
    .description('one update by id or KB number: approvals, bundle members, status counts')
    .argument('<update>', 'update id or KB number')
    .option('--json', 'print JSON')
    .action(async (update: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const u = await s.updates.show(update);
        emit(io, opts, u, () => {
          const lines = [
            `Update:          ${u.updateId} (revision ${u.revisionNumber})`,
            `Title:           ${u.title ?? ''}`,
            `KB:              ${u.kbArticleId ? `KB${u.kbArticleId}` : ''}`,
            `Severity:        ${u.msrcSeverity ?? ''}`,
            `Classification:  ${u.classifications.map((c) => c.title ?? c.updateId).join(', ')}`,
            `Product:         ${u.products.map((c) => c.title ?? c.updateId).join(', ')}`,
            `State:           ${u.isDeclined ? 'declined' : (u.publicationState ?? '')}`,
            ...(u.content !== null ? [`Content:         ${contentText(u.content)}`] : []),
            `Catalog:         ${catalogText(u)}`,
            ...(u.quarantine
              ? [
                  `Quarantine:      ${u.quarantine.reasonCode}${u.quarantine.causedByUpdateId ? ` (caused by ${u.quarantine.causedByUpdateId})` : ''}`,
                  `                 ${(u.quarantine.detail ?? '').replace(/\s+/g, ' ').slice(0, 300)}`,
                ]
              : []),
            `Superseded:      ${u.isSuperseded ? `yes, since ${formatTime(u.supersededSince)}` : 'no'}`,
            ...u.supersededBy.map((b) =>
              `  by ${b.kbArticleId ? `KB${b.kbArticleId} ` : ''}${b.updateId} (${b.declined ? 'declined' : b.approved ? 'approved' : 'not approved'}${b.direct ? '' : ', through a chain'}) ${b.title ?? ''}`.trimEnd(),
            ),
            `Uninstallable:   ${u.uninstallable ? 'yes' : 'no'}`,
            `Bundle members:  ${u.bundleMembers.length}`,
            `Status:          ${
              Object.entries(u.statusCounts)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || 'no reports'
            }`,
            '',
          ];
          const table =
            u.approvals.length === 0
              ? 'No explicit approvals.\n'
              : renderTable(
                  ['GROUP', 'ACTION', 'DEADLINE', 'BY', 'VIA', 'AT'],
                  u.approvals.map((a) => [
                    a.groupName,
                    a.action,
                    formatTime(a.deadlineAt),
                    a.approvedBy,
                    a.approvedVia,
                    formatTime(a.approvedAt),
                  ]),
                );
          return `${lines.join('\n')}\n${table}`;
        });
      }),
    );
}

/** What clients get: an approved update whose files are not stored yet is not offered (content modes approved/all). */
function approvalState(u: UpdateSummary): string {
  if (u.isDeclined) return 'declined';
  if (u.approvalCount === 0) return 'not approved';
  if (u.content === null || u.content.state === 'stored') return 'approved';
  return u.content.state === 'waiting' ? 'approved, waiting for content' : 'approved, content failed';
}

function contentText(c: UpdateContent): string {
  if (c.state === 'stored') return 'stored (offered to clients)';
  if (c.state === 'waiting') return 'waiting for content (not offered to clients until its files are stored)';
  return `content failed: ${c.reason ?? 'unknown reason'} (not offered to clients)`;
}
