/**
 * Seeds a catalog generation for tests of the client web service, standing in for the sync engine's
 * importer until tests switch to it: real update documents are parsed with `parseUpdateDocument` and their
 * fragments derived with `deriveFragments` (the production derivation); revisions the documents name but the
 * fixtures lack are SYNTHETIC (`syntheticRevision`, title prefixed "SYNTHETIC"), so the catalog is closed
 * (docs/protocol/captures.md §4.2). Everything is written through `revisions.upsertMany` and one activated generation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deriveFragments, parseUpdateDocument } from '../../src/protocol/update-xml/index.js';
import { revisionPropertiesOf } from '../../src/sync/index.js';
import {
  createRepositories,
  encodeBlob,
  type DbHandle,
  type RevisionInput,
} from '../../src/storage/index.js';

export function revisionFromDocument(xml: string): RevisionInput {
  const doc = parseUpdateDocument(xml);
  const f = deriveFragments(doc);
  const en =
    doc.localizedProperties.find((l) => l.language.toLowerCase() === 'en') ?? doc.localizedProperties[0];
  return {
    updateId: doc.identity.updateId,
    revisionNumber: doc.identity.revisionNumber,
    updateType: doc.updateType,
    isExplicitlyDeployable: doc.explicitlyDeployable,
    publicationState: doc.publicationState ?? null,
    handler: doc.handler ?? null,
    title: en?.title ?? null,
    ...revisionPropertiesOf(doc),
    document: encodeBlob(xml),
    coreFragment: encodeBlob(f.core),
    extendedFragment: encodeBlob(f.extended),
    localized: doc.localizedProperties.map((l) => ({
      language: l.language.toLowerCase(),
      title: l.title,
      fragment: encodeBlob(f.localized.get(l.language.toLowerCase()) ?? ''),
    })),
    prerequisites: doc.prerequisites.map((c) => ({ isCategory: c.isCategory, updateIds: c.anyOf })),
    bundledUpdates: doc.bundledUpdates.map((g) => g.anyOf),
    files: doc.files.map((x) => ({ sha1: x.sha1, sha256: x.sha256 ?? null, size: x.size, name: x.fileName })),
  };
}

export interface SyntheticFile {
  readonly name: string;
  readonly bytes: Buffer;
}

export interface SyntheticSpec {
  readonly updateId: string;
  readonly revisionNumber?: number;
  readonly type: 'Software' | 'Category' | 'Detectoid';
  /** CNF clauses: each inner list is an OR of update ids. */
  readonly prerequisites?: readonly (readonly string[])[];
  readonly categoryPrerequisites?: readonly string[];
  readonly bundled?: readonly { updateId: string; revisionNumber: number }[];
  readonly files?: readonly SyntheticFile[];
  readonly title?: string;
  readonly expired?: boolean;
  /** Update ids this one supersedes (SupersededUpdates in Relationships). */
  readonly supersedes?: readonly string[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * A SYNTHETIC revision with fragments in the derived WS2025 shape (UpdateIdentity, Properties,
 * Relationships, ApplicabilityRules / ExtendedProperties, Files, HandlerSpecificData / LocalizedProperties).
 */
export function syntheticRevision(s: SyntheticSpec): RevisionInput {
  const rev = s.revisionNumber ?? 200;
  const pre = [
    ...(s.prerequisites ?? []).map((c) =>
      c.length === 1
        ? `<UpdateIdentity UpdateID="${c[0]}" />`
        : `<AtLeastOne>${c.map((u) => `<UpdateIdentity UpdateID="${u}" />`).join('')}</AtLeastOne>`,
    ),
    ...(s.categoryPrerequisites ?? []).map(
      (u) => `<AtLeastOne IsCategory="true"><UpdateIdentity UpdateID="${u}" /></AtLeastOne>`,
    ),
  ].join('');
  const bundled = (s.bundled ?? [])
    .map(
      (b) =>
        `<AtLeastOne><UpdateIdentity UpdateID="${b.updateId}" RevisionNumber="${b.revisionNumber}" /></AtLeastOne>`,
    )
    .join('');
  const superseded = (s.supersedes ?? []).map((u) => `<UpdateIdentity UpdateID="${u}" />`).join('');
  const rel =
    pre === '' && bundled === '' && superseded === ''
      ? ''
      : `<Relationships>${superseded === '' ? '' : `<SupersededUpdates>${superseded}</SupersededUpdates>`}${pre === '' ? '' : `<Prerequisites>${pre}</Prerequisites>`}${bundled === '' ? '' : `<BundledUpdates>${bundled}</BundledUpdates>`}</Relationships>`;
  const core =
    `<UpdateIdentity UpdateID="${s.updateId}" RevisionNumber="${rev}" /><Properties UpdateType="${s.type}" />${rel}` +
    `<ApplicabilityRules><IsInstalled><False /></IsInstalled><IsInstallable><True /></IsInstallable></ApplicabilityRules>`;
  const files = (s.files ?? []).map((f) => ({
    name: f.name,
    size: f.bytes.length,
    sha1: createHash('sha1').update(f.bytes).digest(),
    sha256: createHash('sha256').update(f.bytes).digest(),
  }));
  const filesXml =
    files.length === 0
      ? ''
      : `<Files>${files
          .map(
            (f) =>
              `<File Digest="${f.sha1.toString('base64')}" DigestAlgorithm="SHA1" FileName="${esc(f.name)}" Size="${f.size}" Modified="2026-10-03T15:47:53Z"><AdditionalDigest Algorithm="SHA256">${f.sha256.toString('base64')}</AdditionalDigest></File>`,
          )
          .join('')}</Files>`;
  const extended =
    s.type === 'Software'
      ? `<ExtendedProperties DefaultPropertiesLanguage="en" Handler="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/CommandLineInstallation" MaxDownloadSize="${files.reduce((a, f) => a + f.size, 0)}" MinDownloadSize="0"><InstallationBehavior /></ExtendedProperties>${filesXml}<HandlerSpecificData type="cmd:CommandLineInstallation"><InstallCommand Program="${esc(files[0]?.name ?? 'setup.exe')}" Arguments="/q"><ReturnCode Code="0" Result="Succeeded" /></InstallCommand></HandlerSpecificData>`
      : `<ExtendedProperties DefaultPropertiesLanguage="en" />`;
  const title = `SYNTHETIC ${s.title ?? s.type} ${s.updateId.slice(0, 8)}`;
  return {
    updateId: s.updateId,
    revisionNumber: rev,
    updateType: s.type,
    isExplicitlyDeployable: s.type === 'Software',
    publicationState: s.expired ? 'Expired' : 'Published',
    title,
    document: encodeBlob(`<!-- SYNTHETIC test document for ${s.updateId} -->`),
    coreFragment: encodeBlob(core),
    extendedFragment: encodeBlob(extended),
    localized: [
      {
        language: 'en',
        title,
        fragment: encodeBlob(
          `<LocalizedProperties><Language>en</Language><Title>${esc(title)}</Title></LocalizedProperties>`,
        ),
      },
    ],
    prerequisites: [
      ...(s.prerequisites ?? []).map((c) => ({ isCategory: false, updateIds: [...c] })),
      ...(s.categoryPrerequisites ?? []).map((u) => ({ isCategory: true, updateIds: [u] })),
    ],
    bundledUpdates: (s.bundled ?? []).map((b) => [b]),
    supersededUpdateIds: [...(s.supersedes ?? [])],
    files: files.map((f) => ({ sha1: f.sha1, sha256: f.sha256, size: f.size, name: f.name })),
  };
}

/**
 * The smallest SYNTHETIC catalog a supersedence test needs: a product, a detectoid, and software updates that
 * need both (each superseding the ids listed with it), stored and activated as one generation at `at`.
 */
export async function seedSupersedenceCatalog(
  handle: DbHandle,
  ids: { product: string; detectoid: string },
  updates: readonly { updateId: string; supersedes?: readonly string[] }[],
  at: number,
): Promise<{ generationId: number; ids: Map<string, number> }> {
  return seedGeneration(
    handle,
    [
      syntheticRevision({ updateId: ids.product, type: 'Category', title: 'Product' }),
      syntheticRevision({ updateId: ids.detectoid, type: 'Detectoid' }),
      ...updates.map((u) => supersedingSoftware(ids, u.updateId, u.supersedes)),
    ],
    at,
  );
}

/** A SYNTHETIC software update needing the detectoid and in the product, superseding `supersedes`. */
export function supersedingSoftware(
  ids: { product: string; detectoid: string },
  updateId: string,
  supersedes?: readonly string[],
): RevisionInput {
  return syntheticRevision({
    updateId,
    type: 'Software',
    prerequisites: [[ids.detectoid]],
    categoryPrerequisites: [ids.product],
    ...(supersedes ? { supersedes } : {}),
  });
}

/**
 * Synthetic revisions closing a set of real ones: every prerequisite update id no input provides becomes a
 * SYNTHETIC detectoid (or category, for IsCategory clauses) without prerequisites; every bundle group with
 * no provided alternative gets its first alternative as a SYNTHETIC software leaf.
 */
export function closeCatalog(inputs: readonly RevisionInput[]): RevisionInput[] {
  const have = new Set(inputs.map((i) => i.updateId.toLowerCase()));
  const out: RevisionInput[] = [];
  const add = (r: RevisionInput): void => {
    if (have.has(r.updateId.toLowerCase())) return;
    have.add(r.updateId.toLowerCase());
    out.push(r);
  };
  for (const i of inputs) {
    for (const c of i.prerequisites ?? [])
      if (!c.updateIds.some((u) => have.has(u.toLowerCase())))
        add(
          syntheticRevision({
            updateId: c.updateIds[0]!.toLowerCase(),
            type: c.isCategory ? 'Category' : 'Detectoid',
          }),
        );
    for (const g of i.bundledUpdates ?? [])
      if (!g.some((m) => have.has(m.updateId.toLowerCase())))
        add(
          syntheticRevision({
            updateId: g[0]!.updateId.toLowerCase(),
            revisionNumber: g[0]!.revisionNumber,
            type: 'Software',
            title: 'bundle member',
          }),
        );
  }
  return out;
}

/** Stores the revisions and makes them the active generation; returns (updateId|rev) -> revision id. */
export async function seedGeneration(
  handle: DbHandle,
  inputs: readonly RevisionInput[],
  now = Date.now(),
): Promise<{ generationId: number; ids: Map<string, number> }> {
  const repos = createRepositories(handle);
  const ids = await repos.revisions.upsertMany(inputs, now);
  const gen = await repos.generations.createStaged({ note: 'test seed' }, now);
  await repos.generations.addMembers(
    gen.generationId,
    ids.map((revisionId) => ({ revisionId, isLeaf: false, isBundleMember: false })),
  );
  await repos.generations.activate(gen.generationId, now);
  const map = new Map<string, number>();
  inputs.forEach((i, n) => map.set(`${i.updateId.toLowerCase()}|${i.revisionNumber}`, ids[n]!));
  return { generationId: gen.generationId, ids: map };
}

/** Random payload bytes for a synthetic file. */
export function payload(size: number): Buffer {
  return randomBytes(size);
}
