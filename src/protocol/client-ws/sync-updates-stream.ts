import type { RevisionId } from '../../domain/index.js';
import {
  TreeBuilder,
  decodeXmlBytes,
  parseXml,
  scanPlainXml,
  type PlainTag,
  type XmlElement,
  type XmlReadLimits,
} from '../xml/index.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { clientNs } from './namespaces.js';
import { parseRevisionId, plainRevisionIdAt } from './wire.js';

/**
 * The SyncUpdates fast path (targets.md P1): a SOAP request body read into a tree WITHOUT the cached
 * revision-id lists, whose `<int>` items go straight from the text into arrays. A real scan page carries
 * ~1,300 ids; as tree nodes they were half of the ~1 MB allocated per page and a quarter of its time in GC.
 *
 * The tree is the one parseXml builds, except that each streamed id list (the `InstalledNonLeafUpdateIDs`,
 * `OtherCachedUpdateIDs` and `CachedDriverIDs` children of `SyncUpdates/parameters`) is an empty element;
 * its ids are looked up with `streamedRevisionIds(element)`. Everything else — the envelope rules, the
 * cookie, every other parameter, every error and its order — stays with the tree decoders
 * (decodeSoapEnvelope, decodeSyncUpdatesRequest), so there is one decoder and one set of validation rules.
 *
 * The items arrive through the plain scanner's `item` fast form (plain-scanner.ts), their digits parsed in
 * place; the scan never builds a string or an object per item.
 *
 * A list is streamed only in the plain literal shape: no attribute on the list or on any item (so no
 * `xsi:nil`, no SOAP-encoded `arrayType`, no `xsi:type`, no namespace declaration), no element inside an
 * item, at most the limit's count, every item a valid revision id. Anything else — and anything the plain
 * scanner refuses — makes this reader give up and return exactly what parseXml returns (the full tree, or
 * the reader's typed error), so the tree decoder gives the answer it always gave. The differential test
 * (test/unit/client-ws/sync-updates-stream.test.ts) checks that on the real captures and their mutations.
 */

/** Ids read by the stream, keyed by the (empty) list element they came from. */
const streamed = new WeakMap<XmlElement, RevisionId[]>();

/** The ids of a list element this reader streamed, or undefined (read the element's children instead). */
export function streamedRevisionIds(el: XmlElement): RevisionId[] | undefined {
  return streamed.get(el);
}

type StreamedList = 'InstalledNonLeafUpdateIDs' | 'OtherCachedUpdateIDs' | 'CachedDriverIDs';

/** Thrown inside the scan to stop it as soon as the input leaves the streamable shape (one instance). */
const giveUp = new Error('sync-updates-stream: not the streamable shape');

class SyncUpdatesTreeBuilder extends TreeBuilder {
  /** Ids of the list being read; undefined outside a list. */
  #ids: RevisionId[] | undefined;
  #max = 0;
  #path = '';
  #inItem = false;
  #itemText = '';
  readonly #limits: ClientWsLimits;

  constructor(s: string, limits: ClientWsLimits) {
    super(s);
    this.#limits = limits;
  }

  override startTag(tag: PlainTag, depth: number): boolean {
    if (this.#ids !== undefined) {
      // An item: a plain `<int>` (any name, as the tree decoder accepts) directly in the list.
      if (this.#inItem || tag.count !== 0 || tag.selfClosing || this.#ids.length === this.#max) throw giveUp;
      this.#inItem = true;
      this.#itemText = '';
      return false;
    }
    super.startTag(tag, depth);
    // Envelope(0)/Body(1)/SyncUpdates(2)/parameters(3)/list(4): a list worth streaming starts here.
    if (depth !== 4 || tag.selfClosing || tag.count !== 0 || tag.uri !== clientNs) return false;
    const max = this.#maxOf(tag.local);
    if (max === undefined) return false;
    const stack = this.stack;
    const params = stack[3]!;
    const op = stack[2]!;
    if (params.local !== 'parameters' || params.uri !== clientNs) return false;
    if (op.local !== 'SyncUpdates' || op.uri !== clientNs) return false;
    const ids: RevisionId[] = [];
    streamed.set(stack[4]!, ids);
    this.#ids = ids;
    this.#max = max;
    this.#path = `parameters.${tag.local}`;
    return true; // the plain `<int>…</int>` items come through item()
  }

  /** A plain `<int>text</int>` item (the scanner's fast form; others come as startTag/text/endTag). */
  item(start: number, end: number): void {
    const ids = this.#ids!;
    if (ids.length === this.#max) throw giveUp;
    const v = plainRevisionIdAt(this.s, start, end);
    ids.push(v > 0 ? v : this.#parse(this.s.slice(start, end)));
  }

  #parse(text: string): RevisionId {
    try {
      return parseRevisionId(text, this.#path);
    } catch {
      throw giveUp; // the tree decoder reports it, in its order
    }
  }

  override text(start: number, end: number, decoded: string | undefined): void {
    if (this.#ids === undefined) super.text(start, end, decoded);
    // Text between items is ignored, as the tree decoder ignores it.
    else if (this.#inItem) this.#itemText = decoded ?? this.s.slice(start, end);
  }

  override endTag(): void {
    const ids = this.#ids;
    if (ids === undefined) return super.endTag();
    if (!this.#inItem) {
      this.#ids = undefined; // the list's own end tag
      return super.endTag();
    }
    this.#inItem = false;
    ids.push(this.#parse(this.#itemText));
  }

  #maxOf(local: string): number | undefined {
    switch (local as StreamedList) {
      case 'InstalledNonLeafUpdateIDs':
        return this.#limits.maxInstalledNonLeafIds;
      case 'OtherCachedUpdateIDs':
        return this.#limits.maxOtherCachedIds;
      case 'CachedDriverIDs':
        return this.#limits.maxCachedDriverIds;
      default:
        return undefined;
    }
  }
}

/**
 * parseXml for client web service requests with SyncUpdates id lists streamed (see the module comment).
 * Same contract as parseXml: the same tree (minus the streamed lists' children) or the same AppError.
 */
export function parseClientRequestXml(
  input: string | Uint8Array,
  limits: XmlReadLimits,
  wsLimits: ClientWsLimits = defaultClientWsLimits,
): XmlElement {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    // Oversized or undecodable bodies: parseXml gives the error.
    if (input.byteLength > limits.maxBytes) return parseXml(input, limits);
    try {
      text = decodeXmlBytes(input);
    } catch {
      return parseXml(input, limits);
    }
  }
  if (text.length > limits.maxBytes) return parseXml(text, limits);
  const b = new SyncUpdatesTreeBuilder(text, wsLimits);
  try {
    if (scanPlainXml(text, limits, b) && b.root !== undefined) return b.root;
  } catch (e) {
    if (e !== giveUp) throw e;
  }
  return parseXml(text, limits);
}
