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
