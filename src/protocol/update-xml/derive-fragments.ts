import { escapeXml, type XmlElement } from '../xml/index.js';
import { updateNs } from './namespaces.js';
import { writeAttributes, writeElement } from './fragment-writer.js';
import type { UpdateDocument } from './update-document.js';
import { streamedPartsOf } from './streamed-parts.js';

/**
 * Core Properties attributes, in the order WS2025 writes them (docs/protocol/client.md §1.7 step 4; the real bundle
 * a2fef9b0 r200 has `AutoSelectOnWebSites` before `ExplicitlyDeployable` in its document and the other way
 * round in its Core fragment, so the order is the server's, not the document's). `dropWhen` is the default
 * value WS2025 leaves out (compared case-insensitively).
 */
const coreProperties: readonly { readonly name: string; readonly dropWhen?: string }[] = [
  { name: 'UpdateType' },
  { name: 'ExplicitlyDeployable', dropWhen: 'false' },
  { name: 'AutoSelectOnWebSites', dropWhen: 'false' },
  { name: 'EulaID' },
  { name: 'OSUpgrade' },
];

/** Properties attributes that Extended leaves out (docs/protocol/client.md §1.7 step 5); the rest keep document order. */
const extendedRemovals: ReadonlySet<string> = new Set([
  'UpdateType',
  'ExplicitlyDeployable',
  'AutoSelectOnWebSites',
  'EulaID',
  'PublicationState',
  'PublisherID',
  'CreationDate',
  'IsPublic',
  'LegacyName',
  'DetectoidType',
  'OSUpgrade',
  'PerUser',
]);

/** The three fragment kinds of one revision, as the catalog stores them at import. */
export interface DerivedFragments {
  readonly core: string;
  readonly extended: string;
  /** LocalizedProperties fragment per language, keyed by the lower-cased language, in document order. */
  readonly localized: ReadonlyMap<string, string>;
}

interface TopLevel {
  /** Set when the streaming reader already wrote ApplicabilityRules in fragment form (then no element). */
  applicabilityRulesFragment?: string | undefined;
  identity: XmlElement | undefined;
  properties: XmlElement | undefined;
  localized: XmlElement | undefined;
  relationships: XmlElement | undefined;
  applicabilityRules: XmlElement | undefined;
  files: XmlElement | undefined;
  handlerSpecificData: XmlElement | undefined;
}

function topLevel(root: XmlElement): TopLevel {
  const t: TopLevel = {
    identity: undefined,
    properties: undefined,
    localized: undefined,
    relationships: undefined,
    applicabilityRules: undefined,
    files: undefined,
    handlerSpecificData: undefined,
  };
  for (const c of root.children) {
    if (c.kind !== 'element' || c.uri !== updateNs) continue;
    switch (c.local) {
      case 'UpdateIdentity':
        t.identity ??= c;
        break;
      case 'Properties':
        t.properties ??= c;
        break;
      case 'LocalizedPropertiesCollection':
        t.localized ??= c;
        break;
      case 'Relationships':
        t.relationships ??= c;
        break;
      case 'ApplicabilityRules':
        t.applicabilityRules ??= c;
        break;
      case 'Files':
        t.files ??= c;
        break;
      case 'HandlerSpecificData':
        t.handlerSpecificData ??= c;
        break;
    }
  }
  return t;
}

/**
 * The top-level parts of a record: from the streaming reader's skeleton and ready ApplicabilityRules
 * fragment when it parsed the document, else from the full tree.
 */
function partsOf(doc: UpdateDocument): TopLevel {
  const streamed = streamedPartsOf(doc);
  if (!streamed) return topLevel(doc.root);
  const t = topLevel(streamed.skeleton);
  t.applicabilityRulesFragment = streamed.applicabilityRules;
  return t;
}

function unprefixedAttribute(el: XmlElement, local: string): string | undefined {
  for (const a of el.attributes) if (a.uri === '' && a.local === local && a.qname !== 'xmlns') return a.value;
  return undefined;
}

function coreFrom(t: TopLevel): string {
  let s = t.identity ? writeElement(t.identity) : '';
  if (t.properties) {
    s += '<Properties';
    for (const p of coreProperties) {
      const v = unprefixedAttribute(t.properties, p.name);
      if (v === undefined || (p.dropWhen !== undefined && v.trim().toLowerCase() === p.dropWhen)) continue;
      s += ` ${p.name}="${escapeXml(v)}"`;
    }
    s += ' />';
  }
  if (t.relationships) s += writeElement(t.relationships);
  if (t.applicabilityRulesFragment !== undefined) s += t.applicabilityRulesFragment;
  else if (t.applicabilityRules) s += writeElement(t.applicabilityRules);
  return s;
}

function extendedFrom(t: TopLevel): string {
  let s = '';
  if (t.properties) {
    s = `<ExtendedProperties${writeAttributes(t.properties, extendedRemovals)}`;
    let inner = '';
    for (const c of t.properties.children)
      inner += c.kind === 'text' ? escapeXml(c.text, 'text') : writeElement(c);
    s += inner.length === 0 ? ' />' : `>${inner}</ExtendedProperties>`;
  }
  if (t.files) s += writeElement(t.files);
  if (t.handlerSpecificData) s += writeElement(t.handlerSpecificData);
  return s;
}

function languageOf(lp: XmlElement): string | undefined {
  for (const c of lp.children)
    if (c.kind === 'element' && c.uri === updateNs && c.local === 'Language') {
      let s = '';
      for (const t of c.children) if (t.kind === 'text') s += t.text;
      return s.trim();
    }
  return undefined;
}

function localizedElements(t: TopLevel): Map<string, XmlElement> {
  const m = new Map<string, XmlElement>();
  if (!t.localized) return m;
  for (const c of t.localized.children) {
    if (c.kind !== 'element' || c.uri !== updateNs || c.local !== 'LocalizedProperties') continue;
    const lang = languageOf(c);
    // The first entry for a language wins (the parser keeps the same one in the typed record).
    if (lang && !m.has(lang.toLowerCase())) m.set(lang.toLowerCase(), c);
  }
  return m;
}

/**
 * Core fragment (docs/protocol/client.md §1.7 step 4): `UpdateIdentity` + filtered `Properties` + `Relationships` +
 * `ApplicabilityRules`, concatenated without a wrapper element.
 */
export function deriveCoreFragment(doc: UpdateDocument): string {
  return coreFrom(partsOf(doc));
}

/** Extended fragment (step 5): `ExtendedProperties` + `Files` + `HandlerSpecificData`. */
export function deriveExtendedFragment(doc: UpdateDocument): string {
  return extendedFrom(partsOf(doc));
}

/**
 * The LocalizedProperties fragment for exactly `language` (case-insensitive), or undefined when the document
 * has none for it. Use `chooseLanguage` first to apply the client's preference list and the fallbacks.
 */
export function deriveLocalizedPropertiesFragment(doc: UpdateDocument, language: string): string | undefined {
  const el = localizedElements(partsOf(doc)).get(language.toLowerCase());
  return el ? writeElement(el) : undefined;
}

/**
 * All fragments of a revision at once: Core, Extended and every language, each subtree visited once (the
 * three fragments read disjoint parts of the document). This is what the catalog importer calls.
 */
export function deriveFragments(doc: UpdateDocument): DerivedFragments {
  const t = partsOf(doc);
  const localized = new Map<string, string>();
  for (const [lang, el] of localizedElements(t)) localized.set(lang, writeElement(el));
  return Object.freeze({ core: coreFrom(t), extended: extendedFrom(t), localized });
}

/** The document's languages as written, in document order, without duplicates (case-insensitive). */
export function availableLanguages(doc: UpdateDocument): readonly string[] {
  return doc.localizedProperties.map((lp) => lp.language);
}

/**
 * Picks the language to answer with (docs/protocol/client.md §1.7 step 6, docs/protocol/update-xml.md §3.8): for each requested locale in order, an
 * exact match, then its neutral language (`en-US` -> `en`); when none exists, English (`en`), then the
 * document's DefaultPropertiesLanguage, then its first language. Undefined only for a document without any
 * LocalizedProperties. Returns the language as written in the document.
 */
export function chooseLanguage(doc: UpdateDocument, requested: readonly string[]): string | undefined {
  const byLower = new Map<string, string>();
  for (const lp of doc.localizedProperties) byLower.set(lp.language.toLowerCase(), lp.language);
  for (const r of requested) {
    const want = r.trim().toLowerCase();
    const exact = byLower.get(want);
    if (exact !== undefined) return exact;
    const dash = want.indexOf('-');
    if (dash > 0) {
      const neutral = byLower.get(want.slice(0, dash));
      if (neutral !== undefined) return neutral;
    }
  }
  const fallback =
    byLower.get('en') ??
    (doc.defaultPropertiesLanguage === undefined
      ? undefined
      : byLower.get(doc.defaultPropertiesLanguage.toLowerCase()));
  return fallback ?? doc.localizedProperties[0]?.language;
}
