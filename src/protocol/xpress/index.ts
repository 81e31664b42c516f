/**
 * Xpress (MS-XCA Plain LZ77) with WSUS's HTTP block framing (docs/protocol/upstream.md §U3). Pure: buffers in,
 * buffers out.
 *
 * - `encodeXpressBody(bytes)`: the body a `Content-Encoding: xpress` answer carries (16,352-byte blocks,
 *   incompressible blocks stored); `XpressBodyEncoder` for other block sizes or search depths.
 * - `decodeXpressBody(bytes, limits)` / `XpressBodyDecoder` (chunk by chunk): refuse corrupt bodies and bombs
 *   (`maxDecodedBytes`, `maxBlocks`) with PB_ERR_DECOMPRESS, detail `kind` = `corrupt` | `bomb`.
 * - `decodePlainLz77Into` / `PlainLz77Encoder`: one unframed block, for tests against the MS-XCA vectors.
 */
export {
  encodeXpressBody,
  decodeXpressBody,
  XpressBodyEncoder,
  XpressBodyDecoder,
  xpressDefaultBlockBytes,
} from './framing.js';
export type { XpressBlockCache, XpressEncodeOptions } from './framing.js';
export { decodePlainLz77Into } from './plain-lz77-decode.js';
export { PlainLz77Encoder, plainLz77Bound, type Lz77EncoderOptions } from './plain-lz77-encode.js';
export {
  defaultXpressDecodeLimits,
  xpressMaxBlockBytes,
  xpressWindowBytes,
  type XpressDecodeLimits,
} from './limits.js';
export type { XpressRefusal } from './errors.js';
