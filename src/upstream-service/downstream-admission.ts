import { addressMatcher } from '../config/index.js';

/** What the TLS layer says of the caller's client certificate (see http/server-sync-routes.ts). */
export type ClientCertificateState = 'valid' | 'invalid' | 'absent';

/**
 * Who may sync from us (`[upstream_service] allowed_downstreams`, `allowed_addresses`, and a client
 * certificate when `client_ca_file` is set): each rule, when configured, must admit the downstream. With
 * none configured everyone is admitted, as WSUS does.
 */
export class DownstreamAdmission {
  readonly maxRows: number;
  readonly #ids: ReadonlySet<string> | undefined;
  readonly #addresses: ((ip: string | undefined) => boolean) | undefined;
  readonly #requireCertificate: boolean;

  constructor(o: {
    readonly maxDownstreams: number;
    readonly allowedDownstreams: readonly string[];
    readonly allowedAddresses: readonly string[];
    readonly requireClientCertificate?: boolean;
  }) {
    this.#requireCertificate = o.requireClientCertificate === true;
    this.maxRows = o.maxDownstreams;
    this.#ids =
      o.allowedDownstreams.length > 0 ? new Set(o.allowedDownstreams.map((i) => i.toLowerCase())) : undefined;
    this.#addresses = o.allowedAddresses.length > 0 ? addressMatcher(o.allowedAddresses) : undefined;
  }

  /** Why this downstream is refused (the words of the fault and the log line), or undefined when admitted. */
  refusal(dssId: string, ip: string | undefined, certificate?: ClientCertificateState): string | undefined {
    if (this.#requireCertificate && certificate !== 'valid')
      return certificate === 'invalid'
        ? 'its TLS client certificate is not signed by client_ca_file'
        : 'it presented no TLS client certificate (client_ca_file is set; use https)';
    if (this.#ids !== undefined && !this.#ids.has(dssId.toLowerCase()))
      return 'its server id is not in allowed_downstreams';
    if (this.#addresses !== undefined && !this.#addresses(ip))
      return `its address ${ip ?? '(unknown)'} is not in allowed_addresses`;
    return undefined;
  }
}
