/**
 * A realistic fleet for the public-view and report tests, written only through the repositories:
 * - the 8 REAL update documents of test/fixtures/wsus/wsus-m0-wsusss/docs (parsed with parseUpdateDocument;
 *   KB2267602 is the one explicitly deployable update among them);
 * - SYNTHETIC category documents for the well-known Microsoft classification/product ids the real update
 *   names (Definition Updates, Microsoft Defender Antivirus) and for Security Updates / Windows 11, and three
 *   SYNTHETIC security updates with MSRC severities (the real capture holds none), the first with a bulletin
 *   id, installation/uninstallation behaviours and uninstall notes, the second with two bulletin ids;
 * - groups, computers, memberships, approvals, a decline and statuses chosen to exercise every rule.
 */
import { readdirSync } from 'node:fs';
import {
  classifyCategories,
  parseUpdateDocument,
  type CategoryType,
  type UpdateDocument,
} from '../../../src/protocol/update-xml/index.js';
import {
  allComputersGroup,
  createRepositories,
  encodeBlob,
  type DbHandle,
  type RevisionInput,
} from '../../../src/storage/index.js';
import { revisionPropertiesOf } from '../../../src/sync/index.js';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';

export const ids = {
  kb2267602: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe',
  definitionUpdates: 'e0789628-ce08-4437-be74-2495b842f43b',
  securityUpdates: '0fa1201d-4330-4fa8-8ae9-b877473b6441',
  defender: '8c3fcc84-7410-4a95-8b89-a166a0190486',
  windows11: '72e7624a-5b00-45d2-b92f-e561c0a6a160',
  windowsFamily: '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d',
  microsoft: '56309036-4c77-4dd9-951a-99ee9c246a94',
  /** Synthetic security updates. */
  secCritical: '11111111-aaaa-4bbb-8ccc-000000000001',
  secImportant: '11111111-aaaa-4bbb-8ccc-000000000002',
  secModerate: '11111111-aaaa-4bbb-8ccc-000000000003',
  /** Groups. */
  servers: '22222222-0000-4000-8000-000000000001',
  web: '22222222-0000-4000-8000-000000000002',
  workstations: '22222222-0000-4000-8000-000000000003',
  /** Computers (WSUS computer ids are client-chosen GUIDs). */
  pc1: '33333333-0000-4000-8000-000000000001',
  pc2: '33333333-0000-4000-8000-000000000002',
  pc3: '33333333-0000-4000-8000-000000000003',
  pc4: '33333333-0000-4000-8000-000000000004',
} as const;

export const t0 = Date.UTC(2026, 9, 1, 8, 0, 0, 123);

const docsDir = ['wsus', 'wsus-m0-wsusss', 'docs'];
const kinds: Record<CategoryType, string> = {
  Product: 'product',
  UpdateClassification: 'classification',
  Company: 'company',
  ProductFamily: 'product_family',
};

function categoryXml(id: string, type: CategoryType, title: string, parent?: string): string {
  const prereq =
    parent === undefined
      ? ''
      : `<upd:Relationships><upd:Prerequisites><upd:AtLeastOne IsCategory="true"><upd:UpdateIdentity UpdateID="${parent}" /></upd:AtLeastOne></upd:Prerequisites></upd:Relationships>`;
  return `<upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update" xmlns:cat="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Category" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><upd:UpdateIdentity UpdateID="${id}" RevisionNumber="100" /><upd:Properties UpdateType="Category" CreationDate="2010-01-01T00:00:00.000Z" PublicationState="Published" /><upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>${title}</upd:Title><upd:Description>${title} (synthetic)</upd:Description></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>${prereq}<upd:HandlerSpecificData xsi:type="cat:Category"><cat:CategoryInformation CategoryType="${type}" ProhibitsSubcategories="false" ProhibitsUpdates="false" DisplayOrder="0" ExcludedByDefault="false" /></upd:HandlerSpecificData></upd:Update>`;
}

function securityUpdateXml(
  id: string,
  kb: string,
  severity: string,
  title: string,
  created: string,
  categories: readonly string[],
  extra: { bulletins?: readonly string[]; behaviour?: string; uninstallNotes?: string } = {},
): string {
  const cats = categories.map((c) => `<upd:UpdateIdentity UpdateID="${c}" />`).join('');
  const bulletins = (extra.bulletins ?? [])
    .map((b) => `<upd:SecurityBulletinID>${b}</upd:SecurityBulletinID>`)
    .join('');
  const notes =
    extra.uninstallNotes === undefined
      ? ''
      : `<upd:UninstallNotes>${extra.uninstallNotes}</upd:UninstallNotes>`;
  return `<upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update"><upd:UpdateIdentity UpdateID="${id}" RevisionNumber="201" /><upd:Properties UpdateType="Software" ExplicitlyDeployable="true" CreationDate="${created}" PublicationState="Published" MsrcSeverity="${severity}"><upd:KBArticleID>${kb}</upd:KBArticleID>${bulletins}${extra.behaviour ?? ''}</upd:Properties><upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>${title}</upd:Title><upd:Description>Synthetic security update ${kb}</upd:Description>${notes}</upd:LocalizedProperties></upd:LocalizedPropertiesCollection><upd:Relationships><upd:Prerequisites><upd:AtLeastOne IsCategory="true">${cats}</upd:AtLeastOne></upd:Prerequisites></upd:Relationships></upd:Update>`;
}

/** Synthetic update documents (categories and security updates), as XML text. */
export function syntheticDocuments(): string[] {
  return [
    categoryXml(ids.definitionUpdates, 'UpdateClassification', 'Definition Updates'),
    categoryXml(ids.securityUpdates, 'UpdateClassification', 'Security Updates'),
    categoryXml(ids.defender, 'Product', 'Microsoft Defender Antivirus', ids.microsoft),
    categoryXml(ids.windows11, 'Product', 'Windows 11', ids.windowsFamily),
    securityUpdateXml(
      ids.secCritical,
      '5040001',
      'Critical',
      '2026-10 Cumulative Update for Windows 11 (KB5040001)',
      '2026-10-13T17:00:00.000Z',
      [ids.securityUpdates, ids.windows11],
      // SYNTHETIC bulletin and behaviours (the real capture holds no security update): every attribute set.
      {
        bulletins: ['MS26-001'],
        behaviour:
          '<upd:InstallationBehavior CanRequestUserInput="true" RequiresNetworkConnectivity="true" Impact="RequiresExclusiveHandling" RebootBehavior="AlwaysRequiresReboot" />' +
          '<upd:UninstallationBehavior Impact="Minor" RebootBehavior="CanRequestReboot" />',
        uninstallNotes: 'Remove it from Programs and Features (synthetic)',
      },
    ),
    securityUpdateXml(
      ids.secImportant,
      '5040002',
      'Important',
      '=HYPERLINK("x") Sécurité Übersicht 更新 (KB5040002)',
      '2026-09-09T17:00:00.000Z',
      [ids.securityUpdates, ids.windows11],
      { bulletins: ['MS26-002', 'MS26-003'] },
    ),
    securityUpdateXml(
      ids.secModerate,
      '5040003',
      'Moderate',
      'Security Update for Windows 11, "quoted", with comma (KB5040003)',
      '2026-08-12T17:00:00.000Z',
      [ids.securityUpdates, ids.windows11],
    ),
  ];
}

function toRevisionInput(
  doc: UpdateDocument,
  types: ReadonlyMap<string, CategoryType | null>,
): RevisionInput {
  const en =
    doc.localizedProperties.find((l) => l.language.toLowerCase() === 'en') ?? doc.localizedProperties[0];
  const classified = classifyCategories(doc, (id) => types.get(id));
  const categories = [
    ...classified.classifications.map((id) => ({ updateId: id, kind: 'classification' })),
    ...classified.products.map((id) => ({ updateId: id, kind: 'product' })),
    ...classified.productFamilies.map((id) => ({ updateId: id, kind: 'product_family' })),
    ...classified.companies.map((id) => ({ updateId: id, kind: 'company' })),
    ...classified.unknownCategories.map((id) => ({ updateId: id, kind: 'other' })),
  ];
  const type = doc.categoryInformation?.categoryType;
  return {
    updateId: doc.identity.updateId,
    revisionNumber: doc.identity.revisionNumber,
    updateType: doc.updateType,
    isExplicitlyDeployable: doc.explicitlyDeployable,
    publicationState: doc.publicationState ?? null,
    handler: doc.handler ?? null,
    title: en?.title ?? null,
    kbArticleId: doc.kbArticleIds[0] ?? null,
    msrcSeverity: doc.msrcSeverity ?? null,
    creationDateAt: doc.creationDate === undefined ? null : Date.parse(doc.creationDate),
    ...revisionPropertiesOf(doc),
    document: encodeBlob(typeof doc.original === 'string' ? doc.original : Buffer.from(doc.original)),
    coreFragment: '<core/>',
    extendedFragment: '<extended/>',
    localized: doc.localizedProperties.map((l) => ({
      language: l.language.toLowerCase(),
      title: l.title,
      description: l.description ?? null,
      fragment: `<Language>${l.language}</Language>`,
    })),
    bundledUpdates: doc.bundledUpdates.map((g) => g.anyOf),
    supersededUpdateIds: doc.supersededUpdateIds,
    categories:
      doc.updateType === 'Category' ? categories.filter((c) => c.kind !== 'classification') : categories,
    files: doc.files.map((f) => ({ sha1: f.sha1, sha256: f.sha256 ?? null, size: f.size, name: f.fileName })),
    category:
      doc.updateType === 'Category'
        ? {
            categoryType: type ?? null,
            displayOrder: doc.categoryInformation?.displayOrder ?? null,
            prohibitsSubcategories: doc.categoryInformation?.prohibitsSubcategories ?? false,
            prohibitsUpdates: doc.categoryInformation?.prohibitsUpdates ?? false,
            excludedByDefault: doc.categoryInformation?.excludedByDefault ?? false,
          }
        : undefined,
  };
}

/** Every document of the seed, parsed: the real ones first. */
export function seedDocuments(): UpdateDocument[] {
  const real = readdirSync(fixturePath(...docsDir))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => parseUpdateDocument(readFixture(...docsDir, f)));
  return [...real, ...syntheticDocuments().map((x) => parseUpdateDocument(x))];
}

export interface Seeded {
  /** The update ids vUpdate should show (explicitly deployable software). */
  readonly deployable: readonly string[];
}

/**
 * Seeds the fleet. Approvals (see the effective-approval expectations in the tests):
 * - KB2267602: Install on All Computers (inherited by everyone);
 * - secCritical: Install on Servers with a deadline; explicit "not approved" on Web (blocks inheritance);
 * - secImportant: Uninstall on Workstations; Install with a deadline on Web;
 * - secModerate: Install on All Computers, but the update is DECLINED.
 */
export async function seedFleet(handle: DbHandle): Promise<Seeded> {
  const repos = createRepositories(handle);
  const docs = seedDocuments();
  const types = new Map<string, CategoryType | null>();
  for (const d of docs)
    if (d.updateType === 'Category')
      types.set(d.identity.updateId, d.categoryInformation?.categoryType ?? null);
  const inputs = docs.map((d) => toRevisionInput(d, types));
  const revisionIds = await repos.revisions.upsertMany(inputs, t0);
  const gen = await repos.generations.createStaged({ note: 'seed' }, t0);
  await repos.generations.addMembers(
    gen.generationId,
    revisionIds.map((revisionId) => ({ revisionId, isLeaf: true, isBundleMember: false })),
  );
  await repos.generations.activate(gen.generationId, t0);

  await repos.groups.create({ name: 'Servers', groupId: ids.servers }, t0);
  await repos.groups.create({ name: 'Web', groupId: ids.web, parentGroupId: ids.servers }, t0);
  await repos.groups.create({ name: 'Workstations', groupId: ids.workstations }, t0);

  const computers = [
    {
      id: ids.pc1,
      name: 'srv-db01.contoso.local',
      ip: '10.0.0.11',
      role: 3,
      make: 'Dell Inc.',
      groups: [ids.servers],
    },
    {
      id: ids.pc2,
      name: 'srv-web01.contoso.local',
      ip: '10.0.0.21',
      role: 3,
      make: 'HPE',
      groups: [ids.web],
    },
    {
      id: ids.pc3,
      name: 'ws-müller.contoso.local',
      ip: '10.0.1.5',
      role: 1,
      make: 'LENOVO',
      groups: [ids.workstations, ids.web],
    },
    { id: ids.pc4, name: 'ws-new.contoso.local', ip: '10.0.1.6', role: 1, make: 'LENOVO', groups: [] },
  ];
  for (const [i, c] of computers.entries()) {
    await repos.computers.upsert(
      {
        computerId: c.id,
        dnsName: c.name,
        ipAddress: c.ip,
        osMajor: 10,
        osMinor: 0,
        osBuild: c.role === 1 ? 26100 : 20348,
        osProductType: c.role,
        osDescription: c.role === 1 ? 'Windows 11 Enterprise' : 'Windows Server 2022 Standard',
        computerMake: c.make,
        computerModel: `Model ${i + 1}`,
        biosVersion: `1.${i}.0`,
        clientVersion: '10.0.26100.1',
        processorArchitecture: 'AMD64',
      },
      t0,
    );
    if (c.groups.length > 0) await repos.groups.setMemberships(c.id, c.groups, 'server', t0);
    if (i < 3) {
      await repos.computers.touchLastSync(c.id, t0 + (i + 1) * 3_600_000);
      await repos.computers.touchLastReport(c.id, t0 + (i + 1) * 3_600_000 + 60_000);
    }
  }

  const day = 86_400_000;
  await repos.approvals.set(
    [
      {
        updateId: ids.kb2267602,
        groupId: allComputersGroup,
        action: 'install',
        approvedBy: 'alice',
        approvedVia: 'cli',
      },
      {
        updateId: ids.secCritical,
        groupId: ids.servers,
        action: 'install',
        deadlineAt: t0 + 7 * day,
        approvedBy: 'alice',
        approvedVia: 'api',
      },
      {
        updateId: ids.secCritical,
        groupId: ids.web,
        action: 'not_approved',
        approvedBy: 'bob',
        approvedVia: 'cli',
      },
      {
        updateId: ids.secImportant,
        groupId: ids.workstations,
        action: 'uninstall',
        approvedBy: 'bob',
        approvedVia: 'cli',
      },
      {
        updateId: ids.secImportant,
        groupId: ids.web,
        action: 'install',
        deadlineAt: t0 + 3 * day,
        approvedBy: 'bob',
        approvedVia: 'rule:1',
      },
      {
        updateId: ids.secModerate,
        groupId: allComputersGroup,
        action: 'install',
        approvedBy: 'alice',
        approvedVia: 'cli',
      },
    ],
    t0 + 1000,
  );
  await repos.approvals.decline([ids.secModerate], { declinedBy: 'alice', declinedVia: 'cli' }, t0 + 2000);

  // Statuses: pc1 installed KB, needs secCritical (downloaded), failed secImportant;
  // pc2 KB pending reboot, secCritical not applicable, secImportant not installed;
  // pc3 KB installed, secCritical installed, secImportant installed; pc4 reported nothing.
  const s = (computerId: string, updateId: string, state: number, at = t0 + 5000) => ({
    computerId,
    updateId,
    state,
    statusAt: at,
  });
  await repos.updateStatus.upsert(
    [
      s(ids.pc1, ids.kb2267602, 4),
      s(ids.pc1, ids.secCritical, 3),
      s(ids.pc1, ids.secImportant, 5),
      s(ids.pc1, ids.secModerate, 2),
      s(ids.pc2, ids.kb2267602, 6),
      s(ids.pc2, ids.secCritical, 1),
      s(ids.pc2, ids.secImportant, 2),
      s(ids.pc3, ids.kb2267602, 4),
      s(ids.pc3, ids.secCritical, 4),
      s(ids.pc3, ids.secImportant, 4),
      // A bundle member's status (not in vUpdate: hidden, not explicitly deployable).
      s(ids.pc3, '7366a74a-ef29-44e1-b738-570b516aca1f', 4),
    ],
    t0 + 6000,
  );

  // Sync history.
  const ok = await repos.syncRuns.start(
    { kind: 'catalog', triggerSource: 'schedule', nodeId: 'node-a' },
    t0 - 7_200_000,
  );
  await repos.syncRuns.addCounters(ok.syncRunId, { revisionsImported: 15, quarantined: 0 }, t0 - 7_100_000);
  await repos.syncRuns.finish(
    ok.syncRunId,
    { outcome: 'succeeded', generationId: gen.generationId },
    t0 - 7_000_000,
  );
  const bad = await repos.syncRuns.start({ kind: 'catalog', triggerSource: 'manual' }, t0 - 3_600_000);
  await repos.syncRuns.finish(
    bad.syncRunId,
    {
      outcome: 'failed',
      error: { code: 'PB_ERR_UPSTREAM_TIMEOUT', message: 'upstream timed out after 60 s' },
    },
    t0 - 3_500_000,
  );

  return { deployable: [ids.kb2267602, ids.secCritical, ids.secImportant, ids.secModerate] };
}

export const categoryKinds = kinds;
