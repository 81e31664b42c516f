import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * WSUS-compatible public views (SUSDB `PUBLIC_VIEWS`), documented column by column in docs/public-views.md.
 *
 * Naming, so that SQL-Server-style queries run unchanged:
 * - PostgreSQL: each view twice. Schema `public_views` holds lower-case views with lower-case columns: an
 *   unquoted `SELECT DefaultTitle FROM PUBLIC_VIEWS.vUpdate` folds to exactly those names. Schema
 *   `"PUBLIC_VIEWS"` holds pass-through views with the exact mixed-case names, for fully quoted queries
 *   (`SELECT "DefaultTitle" FROM "PUBLIC_VIEWS"."vUpdate"`). Mixed spellings (quoted schema, unquoted column)
 *   cannot be served by any single set of names and are not supported.
 * - SQLite: plain views in `main` (`vUpdate`, ...; SQLite identifiers are case-insensitive). The
 *   `PUBLIC_VIEWS.` prefix works once the database file is attached to itself under that name
 *   (`attachPublicViewsSchema` in ../public-views.ts): views in the attached copy resolve their tables there.
 *
 * Representation: GUIDs are lower-case text; SQL Server `bit` is an integer 0/1 (so `IsDeclined = 0` works on
 * both); `datetime` is a UTC `timestamptz` on PostgreSQL and UTC text `YYYY-MM-DD HH:MM:SS.SSS` on SQLite
 * (sorts and compares with date literals like `'2024-01-01'`).
 *
 * This file is frozen once released: a later change to a view drops and recreates it in a new migration
 * (and a later table change on SQLite that rebuilds a table must drop these views first).
 */

const allComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
const unassignedComputers = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';

/** The WSUS view names, in creation order (a view may use the ones before it). */
export const publicViewNames0004 = [
  'vUpdate',
  'vClassification',
  'vCategory',
  'vUpdateInCategory',
  'vComputerTarget',
  'vComputerTargetGroup',
  'vComputerGroupMembership',
  'vUpdateApproval',
  'vUpdateEffectiveApprovalPerComputer',
  'vUpdateInstallationInfoBasic',
  'vUpdateInstallationInfo',
] as const;

interface Sql {
  /** epoch-ms integer expression -> the dialect's datetime. */
  ts(expr: string): string;
  nullTs: string;
  /** Reference to another public view from inside a view body. */
  view(name: string): string;
  /** Output column alias. */
  alias(name: string): string;
  /** Byte-wise ordering for tie-breaks, so both databases (and the domain function) agree. */
  binary(expr: string): string;
}

const sqliteSql: Sql = {
  // Integer arithmetic (no float rounding of the milliseconds).
  ts: (e) =>
    `(case when ${e} is null then null else strftime('%Y-%m-%d %H:%M:%S', (${e}) / 1000, 'unixepoch') || '.' || substr('00' || ((${e}) % 1000), -3) end)`,
  nullTs: 'cast(null as text)',
  view: (name) => `"${name}"`,
  alias: (name) => `"${name}"`,
  binary: (e) => e,
};

const postgresSql: Sql = {
  ts: (e) => `(timestamptz 'epoch' + (${e}) * interval '1 millisecond')`,
  nullTs: 'cast(null as timestamptz)',
  view: (name) => `public_views.${name.toLowerCase()}`,
  alias: (name) => `"${name.toLowerCase()}"`,
  binary: (e) => `(${e}) collate "C"`,
};

interface ViewDef {
  readonly name: (typeof publicViewNames0004)[number];
  /** [WSUS column name, SQL expression] in WSUS order. */
  readonly columns: readonly (readonly [string, string])[];
  /** Everything after the select list: FROM ... WHERE ... */
  readonly from: string;
  /** An optional WITH clause (without the keyword `with`). */
  readonly with?: string;
  readonly recursive?: boolean;
}

const nullInt = 'cast(null as integer)';
const nullText = 'cast(null as text)';

/**
 * The revisions the views call "the update": software and driver updates an administrator can approve
 * (explicitly deployable: bundle members are hidden, as in the WSUS console), in the ACTIVE catalog
 * generation (what clients are served), one row per update: its highest revision in that generation.
 */
const currentRevisions = `(select r.* from revisions r
    join generation_members gm on gm.revision_id = r.revision_id
    join catalog_generations g on g.generation_id = gm.generation_id and g.state = 'active'
    where r.update_type in ('Software', 'Driver') and r.is_explicitly_deployable = 1
      and not exists (select 1 from generation_members gm2
        join revisions r2 on r2.revision_id = gm2.revision_id
        where gm2.generation_id = gm.generation_id and r2.update_id = r.update_id
          and r2.revision_number > r.revision_number))`;

/** Memberships as WSUS has them: every computer is in All Computers; one in no group is in Unassigned. */
const memberships = `(select computer_id, group_id from group_memberships where group_id <> '${allComputers}'
    union all select computer_id, '${allComputers}' from computers
    union all select c.computer_id, '${unassignedComputers}' from computers c
      where not exists (select 1 from group_memberships m where m.computer_id = c.computer_id))`;

/** Deterministic GUID-shaped approval id: the first half of the update id, the second half of the group id. */
const approvalId = (a: string) => `substr(${a}.update_id, 1, 18) || substr(${a}.group_id, 19, 18)`;

function views(s: Sql): ViewDef[] {
  const declined = (u: string) => `exists (select 1 from declines d where d.update_id = ${u})`;
  return [
    {
      name: 'vUpdate',
      columns: [
        ['UpdateId', 'r.update_id'],
        ['RevisionNumber', 'r.revision_number'],
        ['DefaultTitle', 'coalesce(en.title, r.title)'],
        ['DefaultDescription', 'en.description'],
        [
          'ClassificationId',
          `(select min(rc.category_update_id) from revision_categories rc where rc.revision_id = r.revision_id and rc.kind = 'classification')`,
        ],
        ['ArrivalDate', s.ts('r.imported_at')],
        ['CreationDate', s.ts('r.creation_date_at')],
        ['IsDeclined', `case when ${declined('r.update_id')} then 1 else 0 end`],
        ['IsWsusInfrastructureUpdate', '0'],
        ['MsrcSeverity', 'r.msrc_severity'],
        ['PublicationState', 'r.publication_state'],
        ['UpdateType', 'r.update_type'],
        ['UpdateSource', `'MicrosoftUpdate'`],
        ['KnowledgebaseArticle', 'r.kb_article_id'],
        ['SecurityBulletin', nullText],
        ['InstallationCanRequestUserInput', nullInt],
        ['InstallationRequiresNetworkConnectivity', nullInt],
        ['InstallationImpact', nullText],
        ['InstallationRebootBehavior', nullText],
        ['UninstallationSteps', nullText],
        ['UninstallationNotes', nullText],
        ['UninstallationCanRequestUserInput', nullInt],
        ['UninstallationRequiresNetworkConnectivity', nullInt],
        ['UninstallationImpact', nullText],
        ['UninstallationRebootBehavior', nullText],
        [
          'IsLatestRevision',
          `case when exists (select 1 from revisions x where x.update_id = r.update_id and x.revision_number > r.revision_number) then 0 else 1 end`,
        ],
        [
          'HasEarlierRevision',
          `case when exists (select 1 from revisions x where x.update_id = r.update_id and x.revision_number < r.revision_number) then 1 else 0 end`,
        ],
        ['State', nullInt],
      ],
      from: `from ${currentRevisions} r
  left join revision_localized en on en.revision_id = r.revision_id and en.language = 'en'`,
    },
    {
      name: 'vClassification',
      columns: [
        ['ClassificationId', 'c.update_id'],
        ['RevisionNumber', 'c.revision_number'],
        ['DefaultTitle', 'coalesce(en.title, c.title)'],
        ['DefaultDescription', 'en.description'],
        ['ArrivalDate', s.ts('r.imported_at')],
        ['DisplayOrder', 'c.display_order'],
      ],
      from: `from categories c
  left join revisions r on r.revision_id = c.revision_id
  left join revision_localized en on en.revision_id = c.revision_id and en.language = 'en'
  where c.category_type = 'UpdateClassification'`,
    },
    {
      name: 'vCategory',
      columns: [
        ['CategoryId', 'c.update_id'],
        [
          'ParentCategoryId',
          `(select min(rc.category_update_id) from revision_categories rc where rc.revision_id = c.revision_id)`,
        ],
        ['CategoryType', 'c.category_type'],
        ['RevisionNumber', 'c.revision_number'],
        ['DefaultTitle', 'coalesce(en.title, c.title)'],
        ['DefaultDescription', 'en.description'],
        ['ArrivalDate', s.ts('r.imported_at')],
        ['ProhibitsSubcategories', 'c.prohibits_subcategories'],
        ['ProhibitsUpdates', 'c.prohibits_updates'],
        ['DisplayOrder', 'c.display_order'],
        ['UpdateSource', `'MicrosoftUpdate'`],
      ],
      from: `from categories c
  left join revisions r on r.revision_id = c.revision_id
  left join revision_localized en on en.revision_id = c.revision_id and en.language = 'en'
  where c.category_type is null or c.category_type <> 'UpdateClassification'`,
    },
    {
      name: 'vUpdateInCategory',
      columns: [
        ['UpdateId', 'r.update_id'],
        ['RevisionNumber', 'r.revision_number'],
        ['CategoryId', 'rc.category_update_id'],
      ],
      from: `from ${currentRevisions} r
  join revision_categories rc on rc.revision_id = r.revision_id`,
    },
    {
      name: 'vComputerTarget',
      columns: [
        ['ComputerTargetId', 'c.computer_id'],
        ['ParentServerId', 'c.downstream_server_id'],
        ['Name', 'c.dns_name'],
        ['IPAddress', 'c.ip_address'],
        ['LastSyncResult', nullInt],
        ['LastSyncTime', s.ts('c.last_sync_at')],
        ['LastReportedStatusTime', s.ts('c.last_report_at')],
        ['LastReportedInventoryTime', s.ts('c.last_inventory_at')],
        ['ClientVersion', 'c.client_version'],
        ['OSArchitecture', 'c.processor_architecture'],
        ['Make', 'c.computer_make'],
        ['Model', 'c.computer_model'],
        ['BiosName', nullText],
        ['BiosVersion', 'c.bios_version'],
        ['BiosReleaseDate', s.nullTs],
        ['FirmwareVersion', 'c.firmware_version'],
        ['OSMajorVersion', 'c.os_major'],
        ['OSMinorVersion', 'c.os_minor'],
        ['OSBuildNumber', 'c.os_build'],
        ['OSServicePackMajorNumber', 'c.os_service_pack_major'],
        ['OSServicePackMinorNumber', 'c.os_service_pack_minor'],
        ['OSLocale', 'c.os_locale'],
        ['OSFamily', `'Windows'`],
        ['OSDescription', 'c.os_description'],
        [
          'ComputerRole',
          `case c.os_product_type when 1 then 'Workstation' when 2 then 'Server' when 3 then 'Server' else 'Unknown' end`,
        ],
        ['LastInventoryTime', s.ts('c.last_inventory_at')],
        ['EffectiveLastDetectionTime', s.ts('c.last_sync_at')],
        ['CreatedTime', s.ts('c.registered_at')],
      ],
      from: 'from computers c',
    },
    {
      name: 'vComputerTargetGroup',
      columns: [
        ['ComputerTargetGroupId', 'g.group_id'],
        ['ParentGroupId', 'g.parent_group_id'],
        ['Name', 'g.name'],
        ['Description', 'g.description'],
        ['OrderValue', '0'],
        ['IsBuiltin', 'g.is_builtin'],
      ],
      from: 'from computer_groups g',
    },
    {
      name: 'vComputerGroupMembership',
      columns: [
        ['ComputerTargetId', 'm.computer_id'],
        ['ComputerTargetGroupId', 'm.group_id'],
      ],
      from: `from ${memberships} m`,
    },
    {
      name: 'vUpdateApproval',
      columns: [
        ['UpdateApprovalId', approvalId('a')],
        ['RevisionId', 'r.revision_id'],
        ['ComputerTargetGroupId', 'a.group_id'],
        ['UpdateId', 'a.update_id'],
        ['RevisionNumber', 'r.revision_number'],
        [
          'Action',
          `case a.action when 'install' then 'Install' when 'uninstall' then 'Uninstall' else 'Block' end`,
        ],
        ['Deadline', s.ts('a.deadline_at')],
        ['CreationDate', s.ts('a.approved_at')],
        ['AdministratorName', 'a.approved_by'],
      ],
      from: `from approvals a
  join ${currentRevisions} r on r.update_id = a.update_id
  where not ${declined('a.update_id')}`,
    },
    {
      // The effective-approval rule of src/domain/deployment/effective-approval.ts, in SQL (a test checks
      // that both agree): nearest explicit approval up each membership's chain, then the deepest source group,
      // then install > uninstall > block/not approved, then required (deadline) over optional, then the
      // earliest deadline, then the smaller group id. Only Install/Uninstall outcomes are approvals.
      name: 'vUpdateEffectiveApprovalPerComputer',
      recursive: true,
      with: `anc (group_id, ancestor_id, distance) as (
    select group_id, group_id, 0 from computer_groups
    union all
    select anc.group_id, g.parent_group_id, anc.distance + 1
      from anc join computer_groups g on g.group_id = anc.ancestor_id
      where g.parent_group_id is not null and anc.distance < 64
  ),
  gdepth (group_id, depth) as (select group_id, max(distance) from anc group by group_id),
  nearest as (
    select m.computer_id, a.update_id, a.group_id, a.action, a.deadline_at,
      row_number() over (partition by m.computer_id, m.group_id, a.update_id order by anc.distance) as rn
    from ${memberships} m
    join anc on anc.group_id = m.group_id
    join approvals a on a.group_id = anc.ancestor_id
  ),
  ranked as (
    select n.computer_id, n.update_id, n.group_id, n.action, n.deadline_at,
      row_number() over (partition by n.computer_id, n.update_id order by
        d.depth desc,
        case n.action when 'install' then 3 when 'uninstall' then 2 when 'block' then 1 else 0 end desc,
        case when n.deadline_at is null then 1 else 0 end,
        coalesce(n.deadline_at, 0),
        ${s.binary('n.group_id')}) as rk
    from nearest n join gdepth d on d.group_id = n.group_id
    where n.rn = 1
  )`,
      columns: [
        ['ComputerTargetId', 'e.computer_id'],
        ['UpdateApprovalId', approvalId('e')],
        ['UpdateId', 'e.update_id'],
        ['RevisionNumber', 'r.revision_number'],
        ['ComputerTargetGroupId', 'e.group_id'],
        ['Action', `case e.action when 'install' then 'Install' else 'Uninstall' end`],
        ['Deadline', s.ts('e.deadline_at')],
      ],
      from: `from ranked e
  join ${currentRevisions} r on r.update_id = e.update_id
  where e.rk = 1 and e.action in ('install', 'uninstall') and not ${declined('e.update_id')}`,
    },
    {
      name: 'vUpdateInstallationInfoBasic',
      columns: [
        ['UpdateId', 's.update_id'],
        ['ComputerTargetId', 's.computer_id'],
        ['State', 's.state'],
      ],
      from: `from update_status s
  join ${currentRevisions} r on r.update_id = s.update_id`,
    },
    {
      // Every (update, computer) pair: a computer that never reported on an update is State 0 (unknown).
      name: 'vUpdateInstallationInfo',
      columns: [
        ['UpdateId', 'r.update_id'],
        ['ComputerTargetId', 'c.computer_id'],
        ['State', 'coalesce(s.state, 0)'],
        ['UpdateApprovalAction', `coalesce(e.Action, 'NotApproved')`],
        ['LastChangeTime', s.ts('s.status_at')],
      ],
      from: `from ${currentRevisions} r
  cross join computers c
  left join update_status s on s.computer_id = c.computer_id and s.update_id = r.update_id
  left join ${s.view('vUpdateEffectiveApprovalPerComputer')} e
    on e.ComputerTargetId = c.computer_id and e.UpdateId = r.update_id`,
    },
  ];
}

function viewBody(s: Sql, v: ViewDef): string {
  const select = v.columns.map(([name, expr]) => `  ${expr} as ${s.alias(name)}`).join(',\n');
  const head = v.with === undefined ? '' : `with ${v.recursive === true ? 'recursive ' : ''}${v.with}\n`;
  return `${head}select\n${select}\n${v.from}`;
}

export async function up0004PublicViews(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    for (const v of views(sqliteSql))
      await sql.raw(`create view "${v.name}" as\n${viewBody(sqliteSql, v)}`).execute(db);
    return;
  }
  await sql.raw('create schema public_views').execute(db);
  await sql.raw('create schema "PUBLIC_VIEWS"').execute(db);
  for (const v of views(postgresSql)) {
    await sql
      .raw(`create view public_views.${v.name.toLowerCase()} as\n${viewBody(postgresSql, v)}`)
      .execute(db);
    const passThrough = v.columns.map(([name]) => `"${name.toLowerCase()}" as "${name}"`).join(', ');
    await sql
      .raw(
        `create view "PUBLIC_VIEWS"."${v.name}" as select ${passThrough} from public_views.${v.name.toLowerCase()}`,
      )
      .execute(db);
  }
}
