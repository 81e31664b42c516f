import {
  escapeXml,
  scanPlainXml,
  TreeBuilder,
  type PlainTag,
  type XmlElement,
  type XmlReadLimits,
} from '../xml/index.js';
import {
  baseApplicabilityRulesNs,
  msiApplicabilityRulesNs,
  msiPatchNs,
  updateNs,
  windowsDriverNs,
  xsiNs,
} from './namespaces.js';
import { DriverMetadataCollector } from './driver-metadata.js';

/**
 * The update-document reader for plain documents (targets.md P3, P5): one scan that
 * - builds small trees for the top-level parts the typed record and the Extended/Localized fragments read
 *   (the first `UpdateIdentity`, `Properties`, `LocalizedPropertiesCollection`, `Relationships`, `Files`,
 *   `HandlerSpecificData`), under a skeleton root;
 * - writes the first `ApplicabilityRules` straight into its Core-fragment form while scanning it, never as a
 *   tree. That element is where CBS documents keep their package manifest (`Metadata`, up to 47 MB): a tree
 *   of it costs many times the document in memory and most of the parse time in GC;
 * - keeps nothing of any other top-level element.
 * Output equals fragment-writer.ts over the full tree (the differential fuzz test checks it). Tags and text
 * that need no change are copied from the input as whole runs rather than rebuilt: the runs are slices of the
 * input, so a manifest costs a few string pieces, not one object per element.
 *
 * Returns undefined when the scanner leaves the document to saxes (see plain-scanner.ts).
 */
export interface StreamedUpdateDocument {
  /** `upd:Update` (or whatever the root is) with only the top-level parts listed above as children. */
  readonly skeleton: XmlElement;
  /** The ApplicabilityRules part of the Core fragment; undefined when the document has none. */
  readonly applicabilityRules: string | undefined;
  /** The driver metadata read on the way (its children are dropped from the fragment anyway). */
  readonly drivers: DriverMetadataCollector;
}

const enum Mode {
  None,
  Build,
  Stream,
  Skip,
}

const builtParts: ReadonlySet<string> = new Set([
  'UpdateIdentity',
  'Properties',
  'LocalizedPropertiesCollection',
  'Relationships',
  'Files',
  'HandlerSpecificData',
]);

/** The element name inside a fragment: fragment-writer.ts `fragmentName`, from a reported tag. */
function fragmentName(uri: string, local: string): string {
  switch (uri) {
    case baseApplicabilityRulesNs:
      return `b.${local}`;
    case msiApplicabilityRulesNs:
      return `m.${local}`;
    case windowsDriverNs:
      return `d.${local}`;
    default:
      return local;
  }
}

/** fragment-writer.ts `writeAttributes`, from a reported tag. */
function fragmentAttributes(tag: PlainTag): string {
  let s = '';
  let msiPatchDeclared = false;
  const isMsiPatch = tag.local === 'MsiPatch' && tag.uri === msiPatchNs;
  for (let a = 0; a < tag.count; a++) {
    if (tag.prefixes[a] === 'xmlns') continue;
    const value = tag.values[a]!;
    if (tag.qnames[a] === 'xmlns') {
      if (isMsiPatch) {
        s += ` xmlns="${escapeXml(value)}"`;
        msiPatchDeclared = true;
      }
      continue;
    }
    const local = tag.locals[a]!;
    const name = tag.uris[a] === xsiNs && local === 'type' ? 'type' : local;
    s += ` ${name}="${escapeXml(value)}"`;
  }
  if (isMsiPatch && !msiPatchDeclared) s = ` xmlns="${msiPatchNs}"${s}`;
  return s;
}

class UpdateDocumentStreamer extends TreeBuilder {
  private mode = Mode.None;
  private readonly seen = new Set<string>();
  private sawApplicabilityRules = false;
  applicabilityRules: string | undefined;
  readonly drivers = new DriverMetadataCollector();

  // Fragment writer state (Mode.Stream). Output = `out` + input[runStart, current position).
  private out = '';
  private runStart = 0;
  /** Depth of a `d.WindowsDriverMetaData` whose content is dropped, or -1. */
  private dropBelow = -1;
  /** Per open streamed element: its fragment name, the end of its start tag, whether the end tag can be copied. */
  private readonly names: string[] = [];
  private readonly openEnds: number[] = [];
  private readonly sameEndTag: boolean[] = [];
  /** Per open streamed element: whether it has content yet (text or a child). */
  private readonly hasContent: boolean[] = [];

  override startTag(tag: PlainTag, depth: number): void {
    if (depth === 0) {
      super.startTag(tag);
      return;
    }
    if (depth === 1) {
      if (tag.uri === updateNs && builtParts.has(tag.local) && !this.seen.has(tag.local)) {
        this.seen.add(tag.local);
        this.mode = Mode.Build;
      } else if (tag.uri === updateNs && tag.local === 'ApplicabilityRules' && !this.sawApplicabilityRules) {
        this.sawApplicabilityRules = true;
        this.mode = Mode.Stream;
        this.out = '';
        this.runStart = tag.start;
      } else this.mode = Mode.Skip;
    }
    if (this.mode === Mode.Build) super.startTag(tag);
    else if (this.mode === Mode.Stream) this.streamStart(tag, depth);
    if (depth === 1 && tag.selfClosing) this.endPart(tag.end);
  }

  override endTag(start: number, end: number, depth: number): void {
    if (depth === 0 || this.mode === Mode.Build) super.endTag();
    else if (this.mode === Mode.Stream) this.streamEnd(start, end, depth);
    if (depth === 1) this.endPart(end);
  }

  override text(
    start: number,
    end: number,
    decoded: string | undefined,
    needsEscape: boolean,
    depth: number,
  ): void {
    // Text directly in the root is never read; text in a built part goes to its tree.
    if (depth === 0) return;
    if (this.mode === Mode.Build) super.text(start, end, decoded);
    else if (this.mode === Mode.Stream && this.dropBelow < 0) {
      this.hasContent[this.hasContent.length - 1] = true;
      if (needsEscape) this.replace(start, escapeXml(decoded ?? this.s.slice(start, end), 'text'), end);
    }
  }

  private endPart(end: number): void {
    if (this.mode === Mode.Stream) {
      this.applicabilityRules = this.out + this.s.slice(this.runStart, end);
      this.out = '';
    }
    this.mode = Mode.None;
  }

  /** Output the input up to `at`, then `text` instead of the input up to `resume`. */
  private replace(at: number, text: string, resume: number): void {
    this.out += this.s.slice(this.runStart, at) + text;
    this.runStart = resume;
  }

  private streamStart(tag: PlainTag, depth: number): void {
    if (this.dropBelow >= 0) return;
    if (this.hasContent.length > 0) this.hasContent[this.hasContent.length - 1] = true;
    const name = fragmentName(tag.uri, tag.local);
    if (tag.uri === windowsDriverNs && tag.local === 'WindowsDriverMetaData') {
      // Attributes kept, children dropped (MS-SAMPLE): the whole element is replaced up to its end tag.
      this.drivers.add((n) => unprefixedAttribute(tag, n));
      this.replace(tag.start, `<${name}${fragmentAttributes(tag)} />`, tag.end);
      if (!tag.selfClosing) this.dropBelow = depth;
      return;
    }
    const copy = tag.canonical && name === tag.qname && !(tag.uri === msiPatchNs && tag.local === 'MsiPatch');
    if (!copy) {
      const head = `<${name}${fragmentAttributes(tag)}`;
      // A start tag keeps its `>` in the run, so an element found empty at its end tag can become `<X />`.
      if (tag.selfClosing) this.replace(tag.start, `${head} />`, tag.end);
      else this.replace(tag.start, head, tag.end - 1);
    }
    if (!tag.selfClosing) {
      this.names.push(name);
      this.openEnds.push(tag.end);
      this.sameEndTag.push(name === tag.qname);
      this.hasContent.push(false);
    }
  }

  private streamEnd(start: number, end: number, depth: number): void {
    if (this.dropBelow >= 0) {
      if (depth === this.dropBelow) {
        this.dropBelow = -1;
        this.runStart = end;
      }
      return;
    }
    const name = this.names.pop()!;
    const openEnd = this.openEnds.pop()!;
    const same = this.sameEndTag.pop()!;
    const content = this.hasContent.pop()!;
    if (!content) this.replace(openEnd - 1, ' />', end);
    else if (!same || end - start !== name.length + 3) this.replace(start, `</${name}>`, end);
  }
}

function unprefixedAttribute(tag: PlainTag, local: string): string | undefined {
  for (let a = 0; a < tag.count; a++)
    if (tag.locals[a] === local && tag.uris[a] === '' && tag.prefixes[a] === '') return tag.values[a];
  return undefined;
}

/** See StreamedUpdateDocument. `text` is the decoded document; the size limit is the caller's. */
export function streamUpdateDocument(
  text: string,
  limits: XmlReadLimits,
): StreamedUpdateDocument | undefined {
  const s = new UpdateDocumentStreamer(text);
  if (!scanPlainXml(text, limits, s) || !s.root) return undefined;
  return { skeleton: s.root, applicabilityRules: s.applicabilityRules, drivers: s.drivers };
}
