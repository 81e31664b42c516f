import type { UpdateIdentity } from '../../domain/index.js';
import { el, textEl, type XmlElement } from '../xml/index.js';
import { expectServerSyncOperation } from './envelope.js';
import { decodeUpdateIdsRequest } from './get-update-data.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';
import { serverSyncNs } from './namespaces.js';
import type { ServerSyncCookie } from './session-cookie.js';
import { encodeUpdateIdentity } from './values.js';

/** GetUpdateDecryptionData (upstream role, docs/protocol/upstream.md §U4). */
export interface GetUpdateDecryptionDataRequest {
  readonly cookie: ServerSyncCookie;
  readonly updateIds: readonly UpdateIdentity[];
}

/** One `ServerSyncUpdateFileDecryption`: a revision and, per file, the key we hold (undefined = none). */
export interface UpdateFileDecryption {
  readonly identity: UpdateIdentity;
  readonly files: readonly { readonly fileDigest: string; readonly key: Buffer | undefined }[];
}

export function decodeGetUpdateDecryptionDataRequest(
  op: XmlElement,
  maxIds: number,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): GetUpdateDecryptionDataRequest {
  expectServerSyncOperation(op, serverSyncNs, 'GetUpdateDecryptionData');
  return decodeUpdateIdsRequest(op, limits, maxIds);
}

const xsiNs = 'http://www.w3.org/2001/XMLSchema-instance';

export function encodeGetUpdateDecryptionDataResponse(entries: readonly UpdateFileDecryption[]): string {
  return el('GetUpdateDecryptionDataResponse', { xmlns: serverSyncNs }, [
    el('GetUpdateDecryptionDataResult', undefined, [
      el(
        'UpdateFileDecryptionData',
        undefined,
        entries.map((e) =>
          el('ServerSyncUpdateFileDecryption', undefined, [
            encodeUpdateIdentity('UpdateId', e.identity),
            el(
              'FileDecryptionData',
              undefined,
              e.files.map((f) =>
                el('ServerSyncFileDecryption', undefined, [
                  textEl('FileDigest', f.fileDigest),
                  // SPEC: the key MAY be null; nil keeps the element the schema requires.
                  f.key === undefined
                    ? el('DecryptionKey', { 'xsi:nil': 'true', 'xmlns:xsi': xsiNs })
                    : textEl('DecryptionKey', f.key.toString('base64')),
                ]),
              ),
            ),
          ]),
        ),
      ),
    ]),
  ]);
}
