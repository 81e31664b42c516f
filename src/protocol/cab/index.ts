/**
 * Microsoft Cabinet (MS-CAB) reader and writer. Pure: buffers in, buffers out.
 *
 * - `extractSingleMember(cab, { expectedName: 'blob' })`: the sync path (XmlUpdateBlobCompressed).
 * - `readCabinet(buf | parts[], opts)`: every member `{ name, nameBytes, size, data, attributes, modified }`;
 *   split sets as ordered parts; `search` finds embedded cabinets like cabextract; `select` picks members;
 *   `maxOutputBytes` (default 256 MiB) refuses bombs with PB_ERR_CAB_LIMIT before decoding.
 * - `writeCabinet(members, { compression: 'mszip' | 'none' })`: one folder, real CFDATA checksums.
 * Methods: stored, MSZIP (node:zlib), LZX (pure TypeScript, windows 2^15..2^21); Quantum is
 * PB_ERR_CAB_UNSUPPORTED. Errors: PB_ERR_CAB_MALFORMED / _CHECKSUM / _UNSUPPORTED / _LIMIT.
 * Member names are data, never paths.
 */
export {
  readCabinet,
  extractSingleMember,
  type Cabinet,
  type CabMember,
  type ExtractSingleOptions,
} from './reader.js';
export { type CabReadOptions, defaultMaxOutputBytes, defaultMaxMembers } from './limits.js';
export {
  readCabinetDirectory,
  decodeCabName,
  type CabinetDirectory,
  type CabFileEntry,
  type CabFolderEntry,
  type CabSetLink,
} from './directory.js';
export { findCabinets } from './search.js';
export { cabChecksum, cfdataChecksum } from './checksum.js';
export { writeCabinet, type CabWriteMember, type CabWriteOptions } from './writer.js';
