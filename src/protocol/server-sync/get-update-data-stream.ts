import { soap11EnvelopeNs } from '../soap/index.js';
import {
  decodeXmlBytes,
  invalidParameter,
  scanPlainXml,
  type PlainTag,
  type PlainXmlHandler,
} from '../xml/index.js';
import { decodeOrProtocolError, decodeServerSyncResponse } from './envelope.js';
import {
  decodeGetUpdateDataResult,
  type ServerSyncUpdateData,
  type UpdateDataResult,
} from './get-update-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import type { UpdateBlob } from './update-blob.js';
import { parseNonNegativeInt, parseUpdateId, shortString } from './values.js';

const xmlnsUri = 'http://www.w3.org/2000/xmlns/';

/** Text of a leaf element, concatenated like `textOf`; undefined when the element was absent. */
type Leaf = string | undefined;

interface RawItem {
  hasId: boolean;
  updateId: Leaf;
  revisionNumber: Leaf;
  plain: Leaf;
  compressed: Leaf;
  hasDigestList: boolean;
  digests: string[];
}

interface RawUrl {
  fileDigest: Leaf;
  muUrl: Leaf;
  ussUrl: Leaf;
}

/** Thrown inside the handler when the answer is not the exact shape this reader knows: the tree path decides. */
const unusual = new Error('unusual GetUpdateData answer');

/**
 * Streams a GetUpdateData answer in the one shape upstreams write (SOAP 1.1 Envelope/Body/GetUpdateDataResponse/
 * GetUpdateDataResult/{updates, fileUrls}), keeping only the leaf texts: no tree, and each blob is the one text
 * run the scanner reports. Anything else (a Fault, a Header, SOAP 1.2, attributes other than namespace
 * declarations, unknown or repeated elements, XML outside the plain subset) throws `unusual`.
 */
class UpdateDataHandler implements PlainXmlHandler {
  readonly items: RawItem[] = [];
  readonly urls: RawUrl[] = [];
  #s: string;
  /** Local names of the open elements, by depth. */
  #path: string[] = [];
  /** Which leaf of the current item/url receives text (undefined: text is ignorable whitespace). */
  #leaf: string | undefined;
  #item: RawItem | undefined;
  #url: RawUrl | undefined;
  #seen = new Set<string>();
  /** The tree path requires GetUpdateDataResult; without it, it produces the error. */
  sawResult = false;

  constructor(s: string) {
    this.#s = s;
  }

  startTag(tag: PlainTag, depth: number): void {
    for (let a = 0; a < tag.count; a++) if (tag.uris[a] !== xmlnsUri) throw unusual;
    if (this.#leaf !== undefined) throw unusual; // an element inside a text-only element
    const local = tag.local;
    const uri = tag.uri;
    const parent = depth === 0 ? '' : this.#path[depth - 1]!;
    let ok = false;
    let leaf: string | undefined;
    if (depth === 0) ok = uri === soap11EnvelopeNs && local === 'Envelope';
    else if (depth === 1) ok = uri === soap11EnvelopeNs && local === 'Body';
    else if (uri !== serverSyncNs) ok = false;
    else if (depth === 2) ok = local === 'GetUpdateDataResponse';
    else if (depth === 3) ok = this.sawResult = local === 'GetUpdateDataResult';
    else if (depth === 4) ok = local === 'updates' || local === 'fileUrls';
    else if (depth === 5) {
      if (parent === 'updates' && local === 'ServerSyncUpdateData') {
        ok = true;
        this.#item = {
          hasId: false,
          updateId: undefined,
          revisionNumber: undefined,
          plain: undefined,
          compressed: undefined,
          hasDigestList: false,
          digests: [],
        };
        this.items.push(this.#item);
      } else if (parent === 'fileUrls' && local === 'ServerSyncUrlData') {
        ok = true;
        this.#url = { fileDigest: undefined, muUrl: undefined, ussUrl: undefined };
        this.urls.push(this.#url);
      }
    } else if (depth === 6) {
      if (parent === 'ServerSyncUpdateData') {
        if (local === 'Id') ok = !this.#item!.hasId && (this.#item!.hasId = true);
        else if (local === 'FileDigestList')
          ok = !this.#item!.hasDigestList && (this.#item!.hasDigestList = true);
        else if (local === 'XmlUpdateBlob' || local === 'XmlUpdateBlobCompressed') leaf = local;
      } else if (local === 'FileDigest' || local === 'MUUrl' || local === 'UssUrl') leaf = local;
    } else if (depth === 7) {
      if (parent === 'Id' && (local === 'UpdateID' || local === 'RevisionNumber')) leaf = local;
      else if (parent === 'FileDigestList' && local === 'base64Binary') leaf = local;
    }
    if (leaf !== undefined) {
      ok = this.#openLeaf(leaf);
    } else if (ok && depth <= 4) {
      // Containers appear once per parent (a second Body/Result/updates is for the tree path to judge).
      const key = `${depth}/${local}`;
      ok = !this.#seen.has(key);
      this.#seen.add(key);
    }
    if (!ok) throw unusual;
    if (tag.selfClosing) this.#close(depth);
    else this.#path[depth] = local;
  }

  #openLeaf(leaf: string): boolean {
    const item = this.#item;
    const url = this.#url;
    // A leaf present twice: the tree path takes the first; not worth mirroring here.
    switch (leaf) {
      case 'XmlUpdateBlob':
        if (item!.plain !== undefined) return false;
        item!.plain = '';
        break;
      case 'XmlUpdateBlobCompressed':
        if (item!.compressed !== undefined) return false;
        item!.compressed = '';
        break;
      case 'UpdateID':
        if (item!.updateId !== undefined) return false;
        item!.updateId = '';
        break;
      case 'RevisionNumber':
        if (item!.revisionNumber !== undefined) return false;
        item!.revisionNumber = '';
        break;
      case 'base64Binary':
        item!.digests.push('');
        break;
      case 'FileDigest':
        if (url!.fileDigest !== undefined) return false;
        url!.fileDigest = '';
        break;
      case 'MUUrl':
        if (url!.muUrl !== undefined) return false;
        url!.muUrl = '';
        break;
      case 'UssUrl':
        if (url!.ussUrl !== undefined) return false;
        url!.ussUrl = '';
        break;
    }
    this.#leaf = leaf;
    return true;
  }

  endTag(_start: number, _end: number, depth: number): void {
    this.#close(depth);
  }

  #close(depth: number): void {
    if (this.#leaf !== undefined) this.#leaf = undefined;
    else if (depth === 5) {
      this.#item = undefined;
      this.#url = undefined;
    }
  }

  text(start: number, end: number, decoded: string | undefined, _needsEscape: boolean, depth: number): void {
    const leaf = this.#leaf;
    void depth;
    if (leaf === undefined) return; // text between container children: the tree path ignores it too
    const t = decoded ?? this.#s.slice(start, end);
    const item = this.#item;
    const url = this.#url;
    switch (leaf) {
      case 'XmlUpdateBlob':
        item!.plain += t;
        break;
      case 'XmlUpdateBlobCompressed':
        item!.compressed += t;
        break;
      case 'UpdateID':
        item!.updateId += t;
        break;
      case 'RevisionNumber':
        item!.revisionNumber += t;
        break;
      case 'base64Binary':
        item!.digests[item!.digests.length - 1] += t;
        break;
      case 'FileDigest':
        url!.fileDigest += t;
        break;
      case 'MUUrl':
        url!.muUrl += t;
        break;
      case 'UssUrl':
        url!.ussUrl += t;
        break;
    }
  }
}

function itemFrom(raw: RawItem, limits: ServerSyncLimits): ServerSyncUpdateData {
  if (!raw.hasId) throw invalidParameter('updates.Id', 'missing element Id');
  if (raw.updateId === undefined) throw invalidParameter('updates.Id.UpdateID', 'missing element UpdateID');
  const updateId = parseUpdateId(raw.updateId, 'updates.Id.UpdateID');
  if (raw.revisionNumber === undefined)
    throw invalidParameter('updates.Id.RevisionNumber', 'missing element RevisionNumber');
  const revisionNumber = parseNonNegativeInt(raw.revisionNumber, 'updates.Id.RevisionNumber');
  const blob: UpdateBlob =
    raw.compressed !== undefined
      ? { kind: 'compressed', base64: raw.compressed }
      : raw.plain !== undefined
        ? { kind: 'plain', text: raw.plain }
        : { kind: 'none' };
  if (raw.digests.length > limits.maxFilesPerUpdate)
    throw invalidParameter('updates.FileDigestList', `more than ${limits.maxFilesPerUpdate} digests`);
  return {
    identity: { updateId, revisionNumber },
    blob,
    fileDigests: raw.digests.map((d) => d.trim().slice(0, 256)),
  };
}

/**
 * Decodes a GetUpdateData answer body: the same result and the same errors as
 * `decodeGetUpdateDataResult(decodeServerSyncResponse(body, serverSyncNs, 'GetUpdateData'))`, which it falls
 * back to for anything but the usual shape in plain XML (faults, limits and syntax errors included). The
 * differential tests (test/unit/server-sync/get-update-data-stream.test.ts) compare both on the real captures
 * and on mutations of them.
 */
export function decodeGetUpdateDataResponse(
  body: Uint8Array | string,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): UpdateDataResult & { readonly unattributable: number } {
  const fast = streamGetUpdateDataResponse(body, limits);
  if (fast !== undefined) return fast;
  return decodeGetUpdateDataResult(
    decodeServerSyncResponse(body, serverSyncNs, 'GetUpdateData', limits),
    limits,
  );
}

/** The streaming reader alone: undefined when the answer needs the tree path. Exported for the differential tests. */
export function streamGetUpdateDataResponse(
  body: Uint8Array | string,
  limits: ServerSyncLimits,
): (UpdateDataResult & { readonly unattributable: number }) | undefined {
  let text: string;
  if (typeof body === 'string') {
    if (body.length > limits.xml.maxBytes) return undefined;
    text = body;
  } else {
    if (body.byteLength > limits.xml.maxBytes) return undefined;
    try {
      text = decodeXmlBytes(body);
    } catch {
      return undefined;
    }
  }
  const h = new UpdateDataHandler(text);
  try {
    if (!scanPlainXml(text, limits.xml, h)) return undefined;
  } catch (e) {
    if (e === unusual) return undefined;
    throw e;
  }
  if (!h.sawResult) return undefined;
  return decodeOrProtocolError('GetUpdateData', () => {
    if (h.items.length > limits.maxUpdatesPerResponse)
      throw invalidParameter('updates', `more than ${limits.maxUpdatesPerResponse} updates`);
    const updates: ServerSyncUpdateData[] = [];
    let unattributable = 0;
    for (const raw of h.items) {
      try {
        updates.push(itemFrom(raw, limits));
      } catch {
        unattributable++;
      }
    }
    if (h.urls.length > limits.maxFileUrls)
      throw invalidParameter('fileUrls', `more than ${limits.maxFileUrls} entries`);
    const s = shortString(limits.maxShortString);
    const fileUrls = h.urls.map((u) => ({
      fileDigest: u.fileDigest === undefined ? '' : s(u.fileDigest, 'fileUrls.FileDigest'),
      muUrl: u.muUrl === undefined ? '' : s(u.muUrl, 'fileUrls.MUUrl'),
      ussUrl: u.ussUrl === undefined ? '' : s(u.ussUrl, 'fileUrls.UssUrl'),
    }));
    return { updates, fileUrls, unattributable };
  });
}
