import type { UpdateIdentity } from '../../domain/index.js';
import { readOptional } from '../soap/index.js';
import {
  childElement,
  childElements,
  el,
  escapeXml,
  invalidParameter,
  textEl,
  textOf,
  type XmlElement,
} from '../xml/index.js';
import { decodeOrProtocolError, expectServerSyncOperation } from './envelope.js';
import { decodeRequestCookie } from './get-config-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import { encodeServerSyncCookie, type ServerSyncCookie } from './session-cookie.js';
import type { UpdateBlob } from './update-blob.js';
import { decodeUpdateIdentity, encodeUpdateIdentity, shortString } from './values.js';

export interface GetUpdateDataRequest {
  readonly cookie: ServerSyncCookie;
  /** At most the upstream's `MaxNumberOfUpdatesPerRequest` (REAL 100; 101 is InvalidParameters `updateIds`). */
  readonly updateIds: readonly UpdateIdentity[];
}

/**
 * One `ServerSyncUpdateData`. The blob and the digests are kept raw: a bad blob or digest of one update must
 * quarantine that update, not fail the batch, so they are decoded later (decodeUpdateBlob) per update.
 */
export interface ServerSyncUpdateData {
  readonly identity: UpdateIdentity;
  readonly blob: UpdateBlob;
  /** `FileDigestList/base64Binary` texts (SHA-1 per file), as written. */
  readonly fileDigests: readonly string[];
}

/** `ServerSyncUrlData`: where a file's content is (REAL: `MUUrl` set, `UssUrl` empty). */
export interface ServerSyncUrlData {
  /** base64 SHA-1, as written. */
  readonly fileDigest: string;
  readonly muUrl: string;
  readonly ussUrl: string;
}

export interface UpdateDataResult {
  readonly updates: readonly ServerSyncUpdateData[];
  readonly fileUrls: readonly ServerSyncUrlData[];
}

export function encodeGetUpdateDataRequest(r: GetUpdateDataRequest): string {
  return el('GetUpdateData', { xmlns: serverSyncNs }, [
    encodeServerSyncCookie('cookie', r.cookie),
    el(
      'updateIds',
      undefined,
      r.updateIds.map((i) => encodeUpdateIdentity('UpdateIdentity', i)),
    ),
  ]);
}

export function decodeGetUpdateDataRequest(
  op: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
  maxIds = 100,
): GetUpdateDataRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetUpdateData');
  return decodeUpdateIdsRequest(op, limits, maxIds);
}

/**
 * The `cookie` + `updateIds` pair GetUpdateData and GetUpdateDecryptionData share: a missing list, or more
 * than `maxIds` identities, is InvalidParameters `updateIds` (REAL at 101).
 */
export function decodeUpdateIdsRequest(
  op: XmlElement,
  limits: ServerSyncLimits,
  maxIds: number,
): GetUpdateDataRequest {
  const cookie = decodeRequestCookie(op, limits);
  const listEl = childElement(op, serverSyncNs, 'updateIds');
  if (!listEl) throw invalidParameter('updateIds', 'missing element updateIds');
  const items = childElements(listEl, serverSyncNs, 'UpdateIdentity');
  if (items.length > maxIds) throw invalidParameter('updateIds', `more than ${maxIds} ids`);
  return { cookie, updateIds: items.map((i) => decodeUpdateIdentity(i, serverSyncNs, 'updateIds')) };
}

function decodeItem(item: XmlElement, limits: ServerSyncLimits): ServerSyncUpdateData {
  const ns = serverSyncNs;
  const idEl = childElement(item, ns, 'Id');
  if (!idEl) throw invalidParameter('updates.Id', 'missing element Id');
  const identity = decodeUpdateIdentity(idEl, ns, 'updates.Id');
  const plain = childElement(item, ns, 'XmlUpdateBlob');
  const compressed = childElement(item, ns, 'XmlUpdateBlobCompressed');
  const blob: UpdateBlob = compressed
    ? { kind: 'compressed', base64: textOf(compressed) }
    : plain
      ? { kind: 'plain', text: textOf(plain) }
      : { kind: 'none' };
  const digestsEl = childElement(item, ns, 'FileDigestList');
  const digestItems = digestsEl ? childElements(digestsEl) : [];
  if (digestItems.length > limits.maxFilesPerUpdate)
    throw invalidParameter('updates.FileDigestList', `more than ${limits.maxFilesPerUpdate} digests`);
  return { identity, blob, fileDigests: digestItems.map((d) => textOf(d).trim().slice(0, 256)) };
}

/**
 * Decodes `GetUpdateDataResult`. An item whose `Id` cannot be read is dropped (it cannot be attributed; the
 * engine re-requests whatever is missing), everything else is kept raw for per-update validation.
 */
export function decodeGetUpdateDataResult(
  result: XmlElement,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): UpdateDataResult & { readonly unattributable: number } {
  return decodeOrProtocolError('GetUpdateData', () => {
    const ns = serverSyncNs;
    const updatesEl = childElement(result, ns, 'updates');
    const items = updatesEl ? childElements(updatesEl, ns, 'ServerSyncUpdateData') : [];
    if (items.length > limits.maxUpdatesPerResponse)
      throw invalidParameter('updates', `more than ${limits.maxUpdatesPerResponse} updates`);
    const updates: ServerSyncUpdateData[] = [];
    let unattributable = 0;
    for (const item of items) {
      try {
        updates.push(decodeItem(item, limits));
      } catch {
        unattributable++;
      }
    }
    const urlsEl = childElement(result, ns, 'fileUrls');
    const urlItems = urlsEl ? childElements(urlsEl, ns, 'ServerSyncUrlData') : [];
    if (urlItems.length > limits.maxFileUrls)
      throw invalidParameter('fileUrls', `more than ${limits.maxFileUrls} entries`);
    const s = shortString(limits.maxShortString);
    const fileUrls = urlItems.map((u) => ({
      fileDigest: readOptional(u, ns, 'FileDigest', 'fileUrls.FileDigest', s) ?? '',
      muUrl: readOptional(u, ns, 'MUUrl', 'fileUrls.MUUrl', s) ?? '',
      ussUrl: readOptional(u, ns, 'UssUrl', 'fileUrls.UssUrl', s) ?? '',
    }));
    return { updates, fileUrls, unattributable };
  });
}

/** Upstream role: the response, one `ServerSyncUpdateData` per update in REAL child order, URLs deduplicated. */
export function encodeGetUpdateDataResponse(r: UpdateDataResult): string {
  const seen = new Set<string>();
  const urls: string[] = [];
  for (const u of r.fileUrls) {
    if (seen.has(u.fileDigest)) continue;
    seen.add(u.fileDigest);
    urls.push(
      el('ServerSyncUrlData', undefined, [
        textEl('FileDigest', u.fileDigest),
        textEl('MUUrl', u.muUrl),
        u.ussUrl === '' ? el('UssUrl') : textEl('UssUrl', u.ussUrl),
      ]),
    );
  }
  return el('GetUpdateDataResponse', { xmlns: serverSyncNs }, [
    el('GetUpdateDataResult', undefined, [
      el(
        'updates',
        undefined,
        r.updates.map((u) =>
          el('ServerSyncUpdateData', undefined, [
            encodeUpdateIdentity('Id', u.identity),
            u.blob.kind === 'plain' ? `<XmlUpdateBlob>${escapeXml(u.blob.text)}</XmlUpdateBlob>` : '',
            u.fileDigests.length === 0
              ? ''
              : el(
                  'FileDigestList',
                  undefined,
                  u.fileDigests.map((d) => textEl('base64Binary', d)),
                ),
            u.blob.kind === 'compressed' ? textEl('XmlUpdateBlobCompressed', u.blob.base64) : '',
          ]),
        ),
      ),
      el('fileUrls', undefined, urls),
    ]),
  ]);
}
