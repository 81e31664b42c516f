import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Per-revision properties the WSUS views need and the import did not keep (docs/public-views.md, vUpdate):
 * the security bulletin id(s), the installation and uninstallation behaviour (CanRequestUserInput,
 * RequiresNetworkConnectivity, Impact, RebootBehavior) and the English uninstall notes. All nullable: NULL
 * means the document has no such element (revisions imported before this migration also read NULL until a
 * sync re-imports them).
 *
 * vUpdate is dropped and recreated with these columns (same names, order and types as in 0004); on
 * PostgreSQL both spellings (`public_views.vupdate` and the quoted pass-through `"PUBLIC_VIEWS"."vUpdate"`).
 *
 * Also drops `revisions_update_id`: the unique (update_id, revision_number) index already serves every
 * lookup by update id, and each index with GUID keys costs the import a random page write per revision.
 *
 * Frozen once released, like 0004.
 */
export async function up0005RevisionBehaviour(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const columns: [string, 'text' | 'integer'][] = [
    ['security_bulletin_ids', 'text'],
    ['is_install_user_input', 'integer'],
    ['is_install_network_required', 'integer'],
    ['install_impact', 'text'],
    ['install_reboot_behavior', 'text'],
    ['is_uninstall_user_input', 'integer'],
    ['is_uninstall_network_required', 'integer'],
    ['uninstall_impact', 'text'],
    ['uninstall_reboot_behavior', 'text'],
    ['uninstall_notes', 'text'],
  ];
  for (const [name, type] of columns) await db.schema.alterTable('revisions').addColumn(name, type).execute();
  await db.schema.dropIndex('revisions_update_id').execute();

  if (dialect === 'sqlite') {
    await sql.raw('drop view "vUpdate"').execute(db);
    await sql.raw(`create view "vUpdate" as\n${vUpdateBody(sqliteSql)}`).execute(db);
    return;
  }
  await sql.raw('drop view "PUBLIC_VIEWS"."vUpdate"').execute(db);
  await sql.raw('drop view public_views.vupdate').execute(db);
  await sql.raw(`create view public_views.vupdate as\n${vUpdateBody(postgresSql)}`).execute(db);
  const passThrough = vUpdateColumns(postgresSql)
    .map(([name]) => `"${name.toLowerCase()}" as "${name}"`)
    .join(', ');
  await sql
    .raw(`create view "PUBLIC_VIEWS"."vUpdate" as select ${passThrough} from public_views.vupdate`)
    .execute(db);
}

interface Sql {
  ts(expr: string): string;
  alias(name: string): string;
}

const sqliteSql: Sql = {
  ts: (e) =>
    `(case when ${e} is null then null else strftime('%Y-%m-%d %H:%M:%S', (${e}) / 1000, 'unixepoch') || '.' || substr('00' || ((${e}) % 1000), -3) end)`,
  alias: (name) => `"${name}"`,
};

const postgresSql: Sql = {
  ts: (e) => `(timestamptz 'epoch' + (${e}) * interval '1 millisecond')`,
  alias: (name) => `"${name.toLowerCase()}"`,
};

const nullInt = 'cast(null as integer)';
const nullText = 'cast(null as text)';

/** As in 0004: the highest revision per explicitly deployable Software/Driver update in the active generation. */
const currentRevisions = `(select r.* from revisions r
    join generation_members gm on gm.revision_id = r.revision_id
    join catalog_generations g on g.generation_id = gm.generation_id and g.state = 'active'
    where r.update_type in ('Software', 'Driver') and r.is_explicitly_deployable = 1
      and not exists (select 1 from generation_members gm2
        join revisions r2 on r2.revision_id = gm2.revision_id
        where gm2.generation_id = gm.generation_id and r2.update_id = r.update_id
          and r2.revision_number > r.revision_number))`;

function vUpdateColumns(s: Sql): [string, string][] {
  return [
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
    [
      'IsDeclined',
      `case when exists (select 1 from declines d where d.update_id = r.update_id) then 1 else 0 end`,
    ],
    ['IsWsusInfrastructureUpdate', '0'],
    ['MsrcSeverity', 'r.msrc_severity'],
    ['PublicationState', 'r.publication_state'],
    ['UpdateType', 'r.update_type'],
    ['UpdateSource', `'MicrosoftUpdate'`],
    ['KnowledgebaseArticle', 'r.kb_article_id'],
    ['SecurityBulletin', 'r.security_bulletin_ids'],
    ['InstallationCanRequestUserInput', 'r.is_install_user_input'],
    ['InstallationRequiresNetworkConnectivity', 'r.is_install_network_required'],
    ['InstallationImpact', 'r.install_impact'],
    ['InstallationRebootBehavior', 'r.install_reboot_behavior'],
    ['UninstallationSteps', nullText],
    ['UninstallationNotes', 'r.uninstall_notes'],
    ['UninstallationCanRequestUserInput', 'r.is_uninstall_user_input'],
    ['UninstallationRequiresNetworkConnectivity', 'r.is_uninstall_network_required'],
    ['UninstallationImpact', 'r.uninstall_impact'],
    ['UninstallationRebootBehavior', 'r.uninstall_reboot_behavior'],
    [
      'IsLatestRevision',
      `case when exists (select 1 from revisions x where x.update_id = r.update_id and x.revision_number > r.revision_number) then 0 else 1 end`,
    ],
    [
      'HasEarlierRevision',
      `case when exists (select 1 from revisions x where x.update_id = r.update_id and x.revision_number < r.revision_number) then 1 else 0 end`,
    ],
    ['State', nullInt],
  ];
}

function vUpdateBody(s: Sql): string {
  const select = vUpdateColumns(s)
    .map(([name, expr]) => `  ${expr} as ${s.alias(name)}`)
    .join(',\n');
  return `select\n${select}\nfrom ${currentRevisions} r
  left join revision_localized en on en.revision_id = r.revision_id and en.language = 'en'`;
}
