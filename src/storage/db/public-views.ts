import { sql, type Kysely } from 'kysely';
import { AppError } from '../../errors.js';
import type { DbHandle } from './open-database.js';

/**
 * The WSUS-compatible public views created by migration 0004 (docs/public-views.md), typed for Kysely with
 * LOWER-CASE names: SQLite resolves identifiers case-insensitively (the views are declared `vUpdate`,
 * `UpdateId`, ...), PostgreSQL has them lower-case in schema `public_views`. So one query text serves both:
 * `publicViewsDb(handle).selectFrom('vupdate').select('updateid as update_id')`.
 * Always alias selected columns: SQLite names result columns as the view declares them (`UpdateId`),
 * PostgreSQL as folded (`updateid`).
 *
 * Datetimes: SQLite gives UTC text `YYYY-MM-DD HH:MM:SS.SSS`, PostgreSQL a `Date` (timestamptz); use
 * `viewTimeToMs`.
 */
export type ViewTime = string | Date;

export interface PublicViewsDatabase {
  vupdate: {
    updateid: string;
    revisionnumber: number;
    defaulttitle: string | null;
    defaultdescription: string | null;
    classificationid: string | null;
    arrivaldate: ViewTime;
    creationdate: ViewTime | null;
    isdeclined: number;
    iswsusinfrastructureupdate: number;
    msrcseverity: string | null;
    publicationstate: string | null;
    updatetype: string;
    updatesource: string;
    knowledgebasearticle: string | null;
    securitybulletin: string | null;
    islatestrevision: number;
    hasearlierrevision: number;
  };
  vclassification: {
    classificationid: string;
    revisionnumber: number;
    defaulttitle: string | null;
    defaultdescription: string | null;
    arrivaldate: ViewTime | null;
    displayorder: number | null;
  };
  vcategory: {
    categoryid: string;
    parentcategoryid: string | null;
    categorytype: string | null;
    revisionnumber: number;
    defaulttitle: string | null;
    defaultdescription: string | null;
    arrivaldate: ViewTime | null;
    prohibitssubcategories: number;
    prohibitsupdates: number;
    displayorder: number | null;
    updatesource: string;
  };
  vupdateincategory: { updateid: string; revisionnumber: number; categoryid: string };
  vcomputertarget: {
    computertargetid: string;
    parentserverid: string | null;
    name: string | null;
    ipaddress: string | null;
    lastsyncresult: number | null;
    lastsynctime: ViewTime | null;
    lastreportedstatustime: ViewTime | null;
    lastreportedinventorytime: ViewTime | null;
    clientversion: string | null;
    osarchitecture: string | null;
    make: string | null;
    model: string | null;
    biosversion: string | null;
    osmajorversion: number | null;
    osminorversion: number | null;
    osbuildnumber: number | null;
    osdescription: string | null;
    computerrole: string;
    effectivelastdetectiontime: ViewTime | null;
    createdtime: ViewTime;
  };
  vcomputertargetgroup: {
    computertargetgroupid: string;
    parentgroupid: string | null;
    name: string;
    description: string | null;
    ordervalue: number;
    isbuiltin: number;
  };
  vcomputergroupmembership: { computertargetid: string; computertargetgroupid: string };
  vupdateapproval: {
    updateapprovalid: string;
    revisionid: number;
    computertargetgroupid: string;
    updateid: string;
    revisionnumber: number;
    action: string;
    deadline: ViewTime | null;
    creationdate: ViewTime;
    administratorname: string;
  };
  vupdateeffectiveapprovalpercomputer: {
    computertargetid: string;
    updateapprovalid: string;
    updateid: string;
    revisionnumber: number;
    computertargetgroupid: string;
    action: string;
    deadline: ViewTime | null;
  };
  vupdateinstallationinfobasic: { updateid: string; computertargetid: string; state: number };
  /** Patchbay view (migration 0009): supersedence within the active catalog, transitive. */
  vupdatesupersedence: {
    updateid: string;
    supersedingupdateid: string;
    isdirect: number;
    issupersedingapproved: number;
    issupersedingdeclined: number;
  };
  /** Patchbay view (migration 0012): the downstream servers below us and their roll-up summaries. */
  vdownstreamserver: {
    downstreamserverid: string;
    domainname: string | null;
    parentserverid: string | null;
    reportedbyserverid: string;
    rolluplastsynctime: ViewTime | null;
    lastrolluptime: ViewTime | null;
    version: string | null;
    isreplica: number;
    computertargetcount: number | null;
  };
  vupdateinstallationinfo: {
    updateid: string;
    computertargetid: string;
    state: number;
    updateapprovalaction: string;
    lastchangetime: ViewTime | null;
  };
}

/** A Kysely instance whose tables are the public views (and nothing else), on either database. */
export function publicViewsDb(handle: Pick<DbHandle, 'db' | 'dialect'>): Kysely<PublicViewsDatabase> {
  const db = handle.db as unknown as Kysely<PublicViewsDatabase>;
  return handle.dialect === 'postgres' ? db.withSchema('public_views') : db;
}

/** View datetime -> epoch milliseconds (null stays null). */
export function viewTimeToMs(v: ViewTime | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  const ms = Date.parse(`${v.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new AppError('PB_ERR_DB', `unexpected datetime ${JSON.stringify(v)} in a view`);
  return ms;
}

/**
 * SQLite only: makes `PUBLIC_VIEWS.vUpdate` resolve, by attaching the database file to itself under the
 * name PUBLIC_VIEWS (views in an attached database resolve their tables in that database, i.e. the same
 * file). Reads through the prefix see committed data only (a second pager on the file), so inside a write
 * transaction use the unprefixed names. Not possible for `:memory:` databases. No-op on PostgreSQL, where
 * the schema exists. Idempotent. Must not be called inside a transaction.
 */
export async function attachPublicViewsSchema(handle: Pick<DbHandle, 'db' | 'dialect'>): Promise<void> {
  if (handle.dialect !== 'sqlite') return;
  const list = await sql<{ name: string; file: string }>`pragma database_list`.execute(handle.db);
  if (list.rows.some((r) => r.name.toLowerCase() === 'public_views')) return;
  const main = list.rows.find((r) => r.name === 'main');
  if (main === undefined || main.file === '')
    throw new AppError(
      'PB_ERR_DB',
      'PUBLIC_VIEWS cannot be attached to an in-memory SQLite database: use the unprefixed view names',
    );
  await sql`attach database ${main.file} as PUBLIC_VIEWS`.execute(handle.db);
}
