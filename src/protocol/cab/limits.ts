/** Limits and switches for reading cabinets. Every cabinet is untrusted input. */
export interface CabReadOptions {
  /**
   * Cap on the total decompressed output of one read (all members plus skipped folder bytes). A cabinet
   * that declares or produces more is refused with PB_ERR_CAB_LIMIT instead of being obeyed.
   */
  readonly maxOutputBytes?: number;
  /** Cap on the number of members (CFFILE entries across all parts). */
  readonly maxMembers?: number;
  /**
   * Scan the buffer for embedded cabinets the way cabextract does (libmspack's cabd search): every MSCF
   * header that parses is a cabinet, the next search starts after its declared length. Off by default: a
   * WSUS blob is exactly one cabinet at offset 0.
   */
  readonly search?: boolean;
  /**
   * Extract only the members this returns true for (by name and position in the listing); folders without
   * selected members are not decoded, so their compression method does not matter. Default: all members.
   */
  readonly select?: (name: string, index: number) => boolean;
}

export const defaultMaxOutputBytes = 256 * 1024 * 1024;
export const defaultMaxMembers = 65_535;

export interface ResolvedCabReadOptions {
  readonly maxOutputBytes: number;
  readonly maxMembers: number;
  readonly search: boolean;
  readonly select: ((name: string, index: number) => boolean) | undefined;
}

export function resolveCabReadOptions(opts: CabReadOptions | undefined): ResolvedCabReadOptions {
  return {
    maxOutputBytes: opts?.maxOutputBytes ?? defaultMaxOutputBytes,
    maxMembers: opts?.maxMembers ?? defaultMaxMembers,
    search: opts?.search ?? false,
    select: opts?.select,
  };
}
