// MS-WSUSSS (server-server sync) codecs, one file per operation, both directions: the DSS side (encode requests,
// decode responses) that the sync engine uses, and the USS side (decode requests, encode responses) for when
// Patchbay acts as an upstream. Pure: no I/O.
export * from './namespaces.js';
export * from './limits.js';
export {
  wrapServerSyncRequest,
  decodeServerSyncResponse,
  decodeServerSyncResponseElement,
  upstreamFaultError,
  upstreamFaultCode,
  protocolError,
  type UpstreamFaultDetail,
} from './envelope.js';
export {
  type ServerSyncCookie,
  decodeServerSyncCookie,
  encodeServerSyncCookie,
  parseWireDate,
} from './session-cookie.js';
export * from './get-auth-config.js';
export * from './get-authorization-cookie.js';
export * from './get-cookie.js';
export * from './get-config-data.js';
export * from './get-revision-id-list.js';
export * from './get-update-data.js';
export { decodeGetUpdateDataResponse } from './get-update-data-stream.js';
export * from './update-blob.js';
export * from './download-files.js';
export * from './related-revisions.js';
export * from './decryption-data.js';
export * from './ping.js';
export * from './get-deployments.js';
export { expectServerSyncOperation } from './envelope.js';
