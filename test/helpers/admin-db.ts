/**
 * Databases and catalog seeds for the administration tests: a migrated SQLite file or PostgreSQL database per
 * test, the REAL update documents of test/fixtures/wsus/wsus-m0-wsusss/docs, and SYNTHETIC update documents
 * (built here, marked as such) for what the real capture lacks: KB numbers, severities, classifications,
 * UninstallationBehavior, expired revisions.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseUpdateDocument, type CategoryType } from '../../src/protocol/update-xml/index.js';
import { revisionInputFromDocument } from '../../src/sync/index.js';
import {
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
  type RevisionInput,
} from '../../src/storage/index.js';
import { fixturePath, readFixture } from './fixtures.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from './postgres.js';

export type Driver = 'sqlite' | 'postgres';

export interface TestDatabase {
  readonly handle: DbHandle;
  /** What the CLI needs to reach the same database (PATCHBAY_ env variables). */
  readonly env: Record<string, string>;
  readonly dir: string;
}

let cluster: Promise<{ cluster: PostgresCluster; template: string }> | undefined;

/** Stops this file's PostgreSQL cluster (call from a top-level `after`). */
export async function stopAdminPostgres(): Promise<void> {
  if (cluster !== undefined) (await cluster).cluster.stop();
  cluster = undefined;
}

/** The drivers to run on: both, unless PostgreSQL binaries are missing locally (loud skip, CI fails). */
export function adminDrivers(): Driver[] {
  return postgresSkipReason() === undefined ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function openTestDatabase(t: TestContext, driver: Driver): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-admin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (driver === 'sqlite') {
    const path = join(dir, 'patchbay.db');
    const handle = openDatabase({ driver: 'sqlite', path });
    t.after(() => handle.close());
    await migrateToLatest(handle);
    return { handle, dir, env: { PATCHBAY_DATABASE_DRIVER: 'sqlite', PATCHBAY_DATABASE_PATH: path } };
  }
  cluster ??= startAdminCluster();
  const { cluster: c, template } = await cluster;
  const url = await c.createDatabase({ template });
  const handle = openDatabase({ driver: 'postgres', connectionString: url, poolSize: 4 });
  t.after(() => handle.close());
  return { handle, dir, env: { PATCHBAY_DATABASE_DRIVER: 'postgres', PATCHBAY_DATABASE_URL: url } };
}

function startAdminCluster(): Promise<{ cluster: PostgresCluster; template: string }> {
  return (async () => {
    const c = await startPostgresCluster();
    const template = 'pb_admin_template';
    const h = openDatabase({
      driver: 'postgres',
      connectionString: await c.createDatabase({ name: template }),
    });
    try {
      await migrateToLatest(h);
    } finally {
      await h.close();
    }
    return { cluster: c, template };
  })();
}

/** The connection string of a new, empty PostgreSQL database (no schema) on this file's cluster. */
export async function emptyPostgresUrl(): Promise<string> {
  cluster ??= startAdminCluster();
  return (await cluster).cluster.createDatabase();
}

/** A stored revision built from an update document exactly the way the sync engine builds it. */
export function revisionFromDocument(
  text: string,
  categoryTypes: ReadonlyMap<string, string>,
): RevisionInput {
  return revisionInputFromDocument(
    parseUpdateDocument(text),
    text,
    categoryTypes as ReadonlyMap<string, CategoryType | null>,
  );
}

const ns = 'xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update"';

/** SYNTHETIC category document (UpdateType=Category with CategoryInformation). */
export function syntheticCategoryDocument(
  id: string,
  type: 'Product' | 'UpdateClassification',
  title: string,
): string {
  return (
    `<upd:Update ${ns} xmlns:cat="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Category" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<upd:UpdateIdentity UpdateID="${id}" RevisionNumber="100" />` +
    `<upd:Properties UpdateType="Category" DefaultPropertiesLanguage="en" Handler="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Category" PublicationState="Published" CreationDate="2026-01-01T00:00:00Z" />` +
    `<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>${title}</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>` +
    `<upd:HandlerSpecificData xsi:type="cat:Category"><cat:CategoryInformation CategoryType="${type}" ProhibitsSubcategories="false" ProhibitsUpdates="false" DisplayOrder="0" ExcludedByDefault="false" /></upd:HandlerSpecificData>` +
    `</upd:Update>`
  );
}

export interface SyntheticUpdate {
  readonly id: string;
  readonly revisionNumber?: number;
  readonly title: string;
  readonly kb?: string;
  readonly severity?: string;
  readonly classificationId?: string;
  readonly productId?: string;
  readonly uninstallable?: boolean;
  readonly explicitlyDeployable?: boolean;
  readonly publicationState?: string;
  readonly bundles?: readonly string[];
}

/** SYNTHETIC software update document shaped like a WSUS one (Windows Installer handler). */
export function syntheticUpdateDocument(u: SyntheticUpdate): string {
  const cats = [u.productId, u.classificationId]
    .filter((c): c is string => c !== undefined)
    .map((c) => `<upd:AtLeastOne IsCategory="true"><upd:UpdateIdentity UpdateID="${c}" /></upd:AtLeastOne>`)
    .join('');
  const bundled =
    u.bundles === undefined
      ? ''
      : `<upd:BundledUpdates>${u.bundles.map((b) => `<upd:UpdateIdentity UpdateID="${b}" RevisionNumber="100" />`).join('')}</upd:BundledUpdates>`;
  return (
    `<upd:Update ${ns}>` +
    `<upd:UpdateIdentity UpdateID="${u.id}" RevisionNumber="${u.revisionNumber ?? 100}" />` +
    `<upd:Properties UpdateType="Software" ExplicitlyDeployable="${u.explicitlyDeployable === false ? 'false' : 'true'}" DefaultPropertiesLanguage="en"` +
    ` Handler="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/WindowsInstaller" PublicationState="${u.publicationState ?? 'Published'}"` +
    ` CreationDate="2026-10-14T17:00:00Z"${u.severity ? ` MsrcSeverity="${u.severity}"` : ''}>` +
    (u.kb ? `<upd:KBArticleID>${u.kb}</upd:KBArticleID>` : '') +
    `<upd:InstallationBehavior RebootBehavior="CanRequestReboot" />` +
    (u.uninstallable === true ? `<upd:UninstallationBehavior RebootBehavior="CanRequestReboot" />` : '') +
    `</upd:Properties>` +
    `<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>${u.title}</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>` +
    `<upd:Relationships>${cats ? `<upd:Prerequisites>${cats}</upd:Prerequisites>` : ''}${bundled}</upd:Relationships>` +
    `</upd:Update>`
  );
}

/** Ids of the seeded catalog (real and synthetic). */
export const seed = {
  /** REAL: KB2267602, Defender security intelligence (a bundle, explicitly deployable, not uninstallable). */
  defenderKb: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe',
  /** REAL: a bundle member (not explicitly deployable). */
  engineMember: 'ff36f0b5-dded-4780-8664-cd78af8b62c1',
  /** REAL ids of the categories KB2267602 names; their documents are SYNTHETIC here (not in the capture). */
  definitionUpdates: 'e0789628-ce08-4437-be74-2495b842f43b',
  defenderProduct: '8c3fcc84-7410-4a95-8b89-a166a0190486',
  /** SYNTHETIC categories. */
  securityUpdates: '0fa1201d-4330-4fa8-8ae9-b877473b6441',
  windows11: '72e7624a-5b00-45d2-b92f-e561c0a6a160',
  /** SYNTHETIC updates. */
  cumulative: '11111111-2222-4333-8444-000000000001',
  office: '11111111-2222-4333-8444-000000000002',
  expired: '11111111-2222-4333-8444-000000000003',
} as const;

/** Seeds the real documents plus synthetic categories and updates; returns revision ids by update id. */
export async function seedCatalog(handle: DbHandle): Promise<Map<string, number>> {
  const types = new Map<string, string>([
    [seed.definitionUpdates, 'UpdateClassification'],
    [seed.securityUpdates, 'UpdateClassification'],
    [seed.defenderProduct, 'Product'],
    [seed.windows11, 'Product'],
  ]);
  const docs: string[] = [
    syntheticCategoryDocument(seed.definitionUpdates, 'UpdateClassification', 'Definition Updates'),
    syntheticCategoryDocument(seed.securityUpdates, 'UpdateClassification', 'Security Updates'),
    syntheticCategoryDocument(seed.defenderProduct, 'Product', 'Microsoft Defender Antivirus'),
    syntheticCategoryDocument(seed.windows11, 'Product', 'Windows 11'),
  ];
  const dir = fixturePath('wsus', 'wsus-m0-wsusss', 'docs');
  for (const f of readdirSync(dir).sort())
    if (f.endsWith('.xml')) docs.push(readFixture('wsus', 'wsus-m0-wsusss', 'docs', f).toString('utf8'));
  docs.push(
    syntheticUpdateDocument({
      id: seed.cumulative,
      title: '2026-10 Cumulative Update for Windows 11 (KB5099001)',
      kb: '5099001',
      severity: 'Critical',
      classificationId: seed.securityUpdates,
      productId: seed.windows11,
      uninstallable: true,
    }),
    syntheticUpdateDocument({
      id: seed.office,
      title: 'Security Update for Office 100% (KB5099002)',
      kb: '5099002',
      severity: 'Important',
      classificationId: seed.securityUpdates,
      productId: seed.windows11,
    }),
    syntheticUpdateDocument({
      id: seed.expired,
      title: 'Old expired update (KB5000003)',
      kb: '5000003',
      severity: 'Low',
      classificationId: seed.securityUpdates,
      productId: seed.windows11,
      publicationState: 'Expired',
    }),
  );
  const inputs = docs.map((d) => revisionFromDocument(d, types));
  const ids = await createRepositories(handle).revisions.upsertMany(inputs);
  return new Map(inputs.map((input, i) => [input.updateId, ids[i]!]));
}

/** Adds computers (server-side memberships optional) for fleet tests. */
export async function seedComputers(
  handle: DbHandle,
  computers: readonly { id: string; name: string; lastSyncAt?: number; groups?: string[] }[],
): Promise<void> {
  const repos = createRepositories(handle);
  for (const c of computers) {
    await repos.computers.upsert(
      {
        computerId: c.id,
        dnsName: c.name,
        osMajor: 10,
        osMinor: 0,
        osBuild: 26100,
        osDescription: 'Windows 11 Enterprise',
        computerMake: 'Contoso',
        computerModel: 'X1',
        clientVersion: '10.0.26100.1',
      },
      c.lastSyncAt ?? Date.now(),
    );
    if (c.lastSyncAt !== undefined) await repos.computers.touchLastSync(c.id, c.lastSyncAt);
    await repos.groups.setMemberships(c.id, c.groups ?? [], 'server');
  }
}
