import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { UpdateIdentity } from '../../domain/index.js';
import { isAppError } from '../../errors.js';
import {
  decodeGetAuthConfigResult,
  decodeGetAuthorizationCookieResult,
  decodeGetConfigDataResult,
  decodeGetCookieResult,
  decodeGetDeploymentsResult,
  encodeGetDeploymentsRequest,
  type DeploymentsResult,
  decodeGetRevisionIdListResult,
  decodeGetUpdateDataResponse,
  decodeServerSyncResponse,
  defaultDssProtocolVersion,
  defaultServerSyncLimits,
  dssAuthNs,
  dssGetAuthorizationCookieAction,
  encodeGetAuthConfigRequest,
  encodeGetAuthorizationCookieRequest,
  encodeGetConfigDataRequest,
  encodeGetCookieRequest,
  encodeGetRevisionIdListRequest,
  encodeGetUpdateDataRequest,
  resolveDssAuthUrl,
  serverSyncAction,
  serverSyncNs,
  upstreamFaultCode,
  wrapServerSyncRequest,
  type RevisionIdList,
  type ServerSyncConfigData,
  type ServerSyncCookie,
  type ServerSyncFilter,
  type ServerSyncLimits,
  type ServerSyncOperation,
  type UpdateDataResult,
} from '../../protocol/server-sync/index.js';
import type { UpstreamTransport } from '../upstream-transport/index.js';

/** The part of UpstreamTransport the client uses (tests may wrap it to count or delay calls). */
export type SoapPoster = Pick<UpstreamTransport, 'postSoap'>;

export interface ServerSyncClientOptions {
  readonly transport: SoapPoster;
  /** The upstream's ServerSync URL. */
  readonly url: string;
  /** DSS identity presented to DssAuth (anonymous; any FQDN-like name and GUID, docs/protocol/server-sync.md §2.3). */
  readonly accountName?: string;
  readonly accountGuid?: string;
  readonly protocolVersion?: string;
  readonly limits?: ServerSyncLimits;
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Deadline of one SOAP attempt (the transport retries). */
  readonly timeoutMs?: number;
  /**
   * A `ServerBusy` fault (an upstream shedding load, e.g. a Patchbay upstream whose event loop lags) is tried
   * again after 1, 2, 4, 8, 8 s (the base here, default 1,000 ms), at most this many times per call (default 5)
   * before the run fails with it.
   */
  readonly busyRetries?: number;
  readonly busyDelayMs?: number;
}

const maxBusyDelayMs = 8_000;

/**
 * The DSS side of MS-WSUSSS over the transport: the auth flow (GetAuthConfig -> DSS GetAuthorizationCookie ->
 * GetCookie), cookie renewal before expiry (re-authenticate between 2 and 30 minutes before `Expiration`, as
 * MS-SAMPLE does; never send an expired cookie), one re-authentication on an `InvalidCookie` fault, bounded
 * retries with a growing delay on a `ServerBusy` fault, and typed
 * operations. Counts calls per operation (tests, the "zero GetUpdateData on an unchanged re-sync" check).
 */
export class ServerSyncClient {
  readonly #o: ServerSyncClientOptions;
  readonly #limits: ServerSyncLimits;
  readonly #now: () => number;
  readonly #accountGuid: string;
  #cookie: ServerSyncCookie | undefined;
  #cookieIssuedAt = 0;
  readonly calls: Record<string, number> = Object.create(null) as Record<string, number>;

  constructor(options: ServerSyncClientOptions) {
    this.#o = options;
    this.#limits = options.limits ?? defaultServerSyncLimits;
    this.#now = options.now ?? Date.now;
    this.#accountGuid = options.accountGuid ?? randomUUID();
  }

  get cookie(): ServerSyncCookie | undefined {
    return this.#cookie;
  }

  async #post(url: string, action: string, content: string, maxResponseBytes: number): Promise<Buffer> {
    const op = action.slice(action.lastIndexOf('/') + 1);
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    const res = await this.#o.transport.postSoap({
      url,
      soapAction: action,
      body: Buffer.from(wrapServerSyncRequest(content), 'utf8'),
      maxResponseBytes,
      timeoutMs: this.#o.timeoutMs,
    });
    return res.body;
  }

  /**
   * Runs `fn` again while the upstream answers ServerBusy (WSUS's "try later"), with a growing delay: a busy
   * moment of the upstream costs seconds, not the whole run (a 50,000-revision first sync is 500 calls).
   */
  async #whileBusy<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const retries = this.#o.busyRetries ?? 5;
    const base = this.#o.busyDelayMs ?? 1_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (upstreamFaultCode(e) !== 'ServerBusy' || attempt >= retries) throw e;
        const delayMs = Math.min(maxBusyDelayMs, base * 2 ** attempt);
        this.#o.logger?.warn(
          { op, attempt: attempt + 1, of: retries, delayMs },
          'upstream answered ServerBusy; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Full authorization: a new auth cookie, then GetCookie (with the previous session cookie as oldCookie). */
  authenticate(): Promise<ServerSyncCookie> {
    return this.#whileBusy('authenticate', () => this.#authenticate());
  }

  async #authenticate(): Promise<ServerSyncCookie> {
    const small = 1024 * 1024;
    const authConfig = decodeGetAuthConfigResult(
      decodeServerSyncResponse(
        await this.#post(this.#o.url, serverSyncAction('GetAuthConfig'), encodeGetAuthConfigRequest(), small),
        serverSyncNs,
        'GetAuthConfig',
        this.#limits,
      ),
      this.#limits,
    );
    const dssUrl = resolveDssAuthUrl(this.#o.url, authConfig.plugIns);
    const authCookie = decodeGetAuthorizationCookieResult(
      decodeServerSyncResponse(
        await this.#post(
          dssUrl,
          dssGetAuthorizationCookieAction,
          encodeGetAuthorizationCookieRequest({
            accountName: this.#o.accountName ?? defaultAccountName(),
            accountGuid: this.#accountGuid,
          }),
          small,
        ),
        dssAuthNs,
        'GetAuthorizationCookie',
        this.#limits,
      ),
      this.#limits,
    );
    const cookie = decodeGetCookieResult(
      decodeServerSyncResponse(
        await this.#post(
          this.#o.url,
          serverSyncAction('GetCookie'),
          encodeGetCookieRequest({
            authCookies: [authCookie],
            oldCookie: this.#cookie,
            protocolVersion: this.#o.protocolVersion ?? defaultDssProtocolVersion,
          }),
          small,
        ),
        serverSyncNs,
        'GetCookie',
        this.#limits,
      ),
      this.#limits,
    );
    this.#cookie = cookie;
    this.#cookieIssuedAt = this.#now();
    this.#o.logger?.debug({ expires: cookie.expirationText }, 'upstream session cookie obtained');
    return cookie;
  }

  /** Renewal margin: a quarter of the cookie's lifetime, clamped to 2..30 minutes. */
  #needsRenewal(): boolean {
    if (this.#cookie === undefined) return true;
    const now = this.#now();
    const expires = this.#cookie.expiresAt.getTime();
    const lifetime = Math.max(0, expires - this.#cookieIssuedAt);
    const margin = Math.min(30 * 60_000, Math.max(2 * 60_000, lifetime / 4));
    return now >= expires - margin;
  }

  async #session(): Promise<ServerSyncCookie> {
    if (this.#needsRenewal()) return this.authenticate();
    return this.#cookie!;
  }

  /** Runs an authenticated call; an InvalidCookie/expired-cookie fault re-authenticates once and retries. */
  async #call<T>(
    op: ServerSyncOperation,
    build: (cookie: ServerSyncCookie) => string,
    decode: (body: Buffer) => T,
    maxResponseBytes: number,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const cookie = await this.#session();
      try {
        return await this.#whileBusy(op, async () =>
          decode(await this.#post(this.#o.url, serverSyncAction(op), build(cookie), maxResponseBytes)),
        );
      } catch (e) {
        const code = upstreamFaultCode(e);
        if (attempt === 0 && (code === 'InvalidCookie' || code === 'CookieExpired')) {
          this.#o.logger?.info({ op, fault: code }, 'upstream refused the session cookie; re-authenticating');
          this.#cookie = undefined;
          continue;
        }
        throw e;
      }
    }
  }

  getConfigData(configAnchor: string | undefined): Promise<ServerSyncConfigData> {
    return this.#call(
      'GetConfigData',
      (cookie) => encodeGetConfigDataRequest({ cookie, configAnchor }),
      (body) =>
        decodeGetConfigDataResult(
          decodeServerSyncResponse(body, serverSyncNs, 'GetConfigData', this.#limits),
          this.#limits,
        ),
      16 * 1024 * 1024,
    );
  }

  getRevisionIdList(filter: ServerSyncFilter): Promise<RevisionIdList> {
    return this.#call(
      'GetRevisionIdList',
      (cookie) => encodeGetRevisionIdListRequest({ cookie, filter }),
      (body) =>
        decodeGetRevisionIdListResult(
          decodeServerSyncResponse(body, serverSyncNs, 'GetRevisionIdList', this.#limits),
          this.#limits,
        ),
      this.#limits.xml.maxBytes,
    );
  }

  /** Replica mode: the upstream's groups, approvals, declines and EULAs (SPEC 3.1.4.10). */
  getDeployments(deploymentAnchor: string | undefined, syncAnchor: string): Promise<DeploymentsResult> {
    return this.#call(
      'GetDeployments',
      (cookie) => encodeGetDeploymentsRequest({ cookie, deploymentAnchor, syncAnchor }),
      (body) =>
        decodeGetDeploymentsResult(
          decodeServerSyncResponse(body, serverSyncNs, 'GetDeployments', this.#limits),
          this.#limits,
        ),
      this.#limits.xml.maxBytes,
    );
  }

  getUpdateData(
    updateIds: readonly UpdateIdentity[],
  ): Promise<UpdateDataResult & { unattributable: number }> {
    return this.#call(
      'GetUpdateData',
      (cookie) => encodeGetUpdateDataRequest({ cookie, updateIds }),
      // Streams the usual answer shape (no tree); anything else goes through the tree decoder.
      (body) => decodeGetUpdateDataResponse(body, this.#limits),
      this.#limits.xml.maxBytes,
    );
  }
}

/** An FQDN-like account name (WS2025 requires only that); the host name, never a secret. */
function defaultAccountName(): string {
  const h = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '')
    .slice(0, 200);
  return h === '' ? 'patchbay.invalid' : h;
}

export function isFault(e: unknown, ...codes: string[]): boolean {
  const c = upstreamFaultCode(e);
  return c !== undefined && codes.includes(c);
}

export { isAppError };
