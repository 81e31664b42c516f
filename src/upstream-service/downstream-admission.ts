import { addressMatcher } from '../config/index.js';

/**
 * Who may sync from us (`[upstream_service] allowed_downstreams`, `allowed_addresses`): each list, when not
 * empty, must admit the downstream. Empty lists admit everyone, as WSUS does.
 */
export class DownstreamAdmission {
  readonly maxRows: number;
  readonly #ids: ReadonlySet<string> | undefined;
  readonly #addresses: ((ip: string | undefined) => boolean) | undefined;

  constructor(o: {
    readonly maxDownstreams: number;
    readonly allowedDownstreams: readonly string[];
    readonly allowedAddresses: readonly string[];
  }) {
    this.maxRows = o.maxDownstreams;
    this.#ids =
      o.allowedDownstreams.length > 0 ? new Set(o.allowedDownstreams.map((i) => i.toLowerCase())) : undefined;
    this.#addresses = o.allowedAddresses.length > 0 ? addressMatcher(o.allowedAddresses) : undefined;
  }

  /** Why this downstream is refused (the words of the fault and the log line), or undefined when admitted. */
  refusal(dssId: string, ip: string | undefined): string | undefined {
    if (this.#ids !== undefined && !this.#ids.has(dssId.toLowerCase()))
      return 'its server id is not in allowed_downstreams';
    if (this.#addresses !== undefined && !this.#addresses(ip))
      return `its address ${ip ?? '(unknown)'} is not in allowed_addresses`;
    return undefined;
  }
}
