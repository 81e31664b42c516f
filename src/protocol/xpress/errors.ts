import { AppError } from '../../errors.js';

/** Why a body was refused: `corrupt` (not valid Xpress) or `bomb` (it declares or makes more than allowed). */
export type XpressRefusal = 'corrupt' | 'bomb';

export function xpressError(
  kind: XpressRefusal,
  message: string,
  detail: Record<string, unknown> = {},
): AppError {
  return new AppError('PB_ERR_DECOMPRESS', `xpress: ${message}`, {
    detail: { codec: 'xpress', kind, ...detail },
  });
}
