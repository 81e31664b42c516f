import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * `vUpdateSupersedence`, a Patchbay view next to the WSUS ones (SUSDB's PUBLIC_VIEWS has no supersedence view;
 * WSUS scripts read the internal tbRevisionSupersedesUpdate), documented in docs/public-views.md: one row per
 * (superseded update, superseding update), transitively (A superseded by B, B by C: rows A-B, A-C, B-C), both
 * sides within the ACTIVE catalog generation (each update's highest revision there), as `updates show` says.
 * Columns: UpdateId, SupersedingUpdateId, IsDirect (the superseding document lists it), IsSupersedingApproved
 * (an install approval on some group), IsSupersedingDeclined. Chains stop at 32 steps (a cycle in bad data).
 *
 * Same naming as 0004: SQLite `main."vUpdateSupersedence"`; PostgreSQL `public_views.vupdatesupersedence`
 * and the quoted pass-through `"PUBLIC_VIEWS"."vUpdateSupersedence"`. Frozen once released.
 */
const columns = [
  'UpdateId',
  'SupersedingUpdateId',
  'IsDirect',
  'IsSupersedingApproved',
  'IsSupersedingDeclined',
] as const;

function body(alias: (name: string) => string): string {
  return `with recursive cur as (
    select r.update_id, r.revision_id from revisions r
    join generation_members gm on gm.revision_id = r.revision_id
    join catalog_generations g on g.generation_id = gm.generation_id and g.state = 'active'
    where r.update_type in ('Software', 'Driver')
      and not exists (select 1 from generation_members gm2
        join revisions r2 on r2.revision_id = gm2.revision_id
        where gm2.generation_id = gm.generation_id and r2.update_id = r.update_id
          and r2.revision_number > r.revision_number)
  ),
  edge as (
    select distinct rs.update_id as superseded, cur.update_id as superseding
    from revision_supersedes rs
    join cur on cur.revision_id = rs.revision_id
    where rs.update_id <> cur.update_id
      and exists (select 1 from cur old where old.update_id = rs.update_id)
  ),
  chain (superseded, superseding, depth) as (
    select superseded, superseding, 1 from edge
    union
    select c.superseded, e.superseding, c.depth + 1 from chain c
    join edge e on e.superseded = c.superseding
    where c.depth < 32 and e.superseding <> c.superseded
  )
select c.superseded as ${alias('UpdateId')},
  c.superseding as ${alias('SupersedingUpdateId')},
  case when min(c.depth) = 1 then 1 else 0 end as ${alias('IsDirect')},
  case when exists (select 1 from approvals a where a.update_id = c.superseding and a.action = 'install')
    then 1 else 0 end as ${alias('IsSupersedingApproved')},
  case when exists (select 1 from declines d where d.update_id = c.superseding) then 1 else 0 end
    as ${alias('IsSupersedingDeclined')}
from chain c
group by c.superseded, c.superseding`;
}

export async function up0009SupersedenceView(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    await sql.raw(`create view "vUpdateSupersedence" as\n${body((n) => `"${n}"`)}`).execute(db);
    return;
  }
  await sql
    .raw(`create view public_views.vupdatesupersedence as\n${body((n) => `"${n.toLowerCase()}"`)}`)
    .execute(db);
  const passThrough = columns.map((n) => `"${n.toLowerCase()}" as "${n}"`).join(', ');
  await sql
    .raw(
      `create view "PUBLIC_VIEWS"."vUpdateSupersedence" as select ${passThrough} from public_views.vupdatesupersedence`,
    )
    .execute(db);
}
