import { asUpdateId } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { ServedRevision } from '../storage/index.js';
import type { Logger } from '../observability/index.js';
import {
  decodeDownloadFilesRequest,
  decodeGetAuthConfigRequest,
  decodeGetAuthorizationCookieRequest,
  decodeGetConfigDataRequest,
  decodeGetCookieRequest,
  decodeGetDeploymentsRequest,
  encodeGetDeploymentsResponse,
  decodeGetRelatedRevisionsRequest,
  decodeGetRevisionIdListRequest,
  decodeGetUpdateDataRequest,
  decodeGetUpdateDecryptionDataRequest,
  decodeServerSyncCookie,
  defaultServerSyncLimits,
  encodeDownloadFilesResponse,
  encodeGetAuthConfigResponse,
  encodeGetAuthorizationCookieResponse,
  encodeGetConfigDataResponse,
  ws2025ServerFlags,
  encodeGetCookieResponse,
  encodeGetRelatedRevisionsResponse,
  encodeGetRevisionIdListResponse,
  encodeGetUpdateDataResponse,
  encodeGetUpdateDecryptionDataResponse,
  encodePingResponse,
  serverSyncNs,
  type ServerSyncCookie,
} from '../protocol/server-sync/index.js';
import { childElement, type XmlElement } from '../protocol/xml/index.js';
import { formatAnchor, parseAnchor } from './anchors.js';
import { DeploymentsAnswer } from './deployments.js';
import { DownstreamAdmission, type ClientCertificateState } from './downstream-admission.js';
import { parseProtocolVersion, type DssCookies, type DssSession } from './dss-cookies.js';
import { upstreamLanguageList } from './languages.js';
import type { RollupWebService } from './rollup-web-service.js';
import { buildUpdateData, UpdateBlobCache } from './update-data.js';
import type { UpstreamStores } from './upstream-ports.js';

/** Per call: what the HTTP layer knows. */
export interface UpstreamCall {
  readonly nowMs: number;
  readonly isHttps: boolean;
  readonly ipAddress: string | undefined;
  /** The HTTP User-Agent (capped): the only product version a DSS tells us. */
  readonly userAgent?: string | undefined;
  /** The TLS client certificate, when the port asks for one (`[upstream_service] client_ca_file`). */
  readonly clientCertificate?: ClientCertificateState;
}

export interface UpstreamServiceOptions {
  /** REAL WS2025: 100; more ids in one GetUpdateData is InvalidParameters `updateIds`. */
  readonly maxUpdatesPerRequest: number;
  /** SPEC <37>: WSUS stops a GetUpdateData answer near 2,000,000 bytes; the DSS asks again for the rest. */
  readonly responseByteBudget: number;
  /** Bytes of encoded update blobs kept between calls (update-data.ts UpdateBlobCache). */
  readonly blobCacheBytes: number;
  /** `[upstream_service] max_downstreams`: registry rows; a new id beyond it is refused (ServerBusy). */
  readonly maxDownstreams: number;
  /** `[upstream_service] allowed_downstreams` (lower-case GUIDs); empty: any. */
  readonly allowedDownstreams: readonly string[];
  /** `[upstream_service] allowed_addresses` (IPs, CIDR ranges); empty: any. */
  readonly allowedAddresses: readonly string[];
  /** `[upstream_service] client_ca_file` is set: a downstream must present a certificate it signed. */
  readonly requireClientCertificate: boolean;
  /** `[upstream_service] rollup_detailed`: computers and their states are rolled up, not only servers. */
  readonly rollupDetailed: boolean;
  /** `[upstream_service] rollup_max_computers_per_downstream`. */
  readonly rollupMaxComputers: number;
  /** `[upstream_service] rollup_max_servers_per_downstream`: servers below one direct downstream. */
  readonly rollupMaxServers: number;
}

export const defaultUpstreamServiceOptions: UpstreamServiceOptions = Object.freeze({
  maxUpdatesPerRequest: 100,
  responseByteBudget: 2_000_000,
  blobCacheBytes: 64 * 1024 * 1024,
  maxDownstreams: 1000,
  allowedDownstreams: [],
  allowedAddresses: [],
  requireClientCertificate: false,
  rollupDetailed: true,
  rollupMaxComputers: 100_000,
  rollupMaxServers: 1000,
});

/** The SPEC ServiceUrl of the DSS authorization plug-in, relative to the server root. */
export const dssAuthServiceUrl = 'DssAuthWebService/DssAuthWebService.asmx';

/** REAL: WS2025's MaxUpdatesPerRequestInGetUpdateDecryptionData. */
const maxDecryptionIds = 100;

/**
 * Patchbay as an upstream server (USS) for downstream WSUS and Patchbay servers: the MS-WSUSSS ServerSync and
 * DssAuth operations (docs/upstream.md). Only the active catalog generation is served, never a quarantined
 * revision, and documents go out as they were received (never regenerated). Every cookie-bearing call checks
 * the cookie first, in WSUS's order: absent or unreadable InvalidCookie, then the operation's parameters.
 */
export class UpstreamWebService {
  readonly limits = defaultServerSyncLimits;
  readonly #blobs: UpdateBlobCache;
  readonly #admits: DownstreamAdmission;
  readonly #deployments: DeploymentsAnswer;
  /** The reporting roll-up operations (set by createUpstreamService; the routes mount them when present). */
  rollup: RollupWebService | undefined;

  /** The admission rules, shared with the roll-up operations (rollup-web-service.ts). */
  get admission(): DownstreamAdmission {
    return this.#admits;
  }

  constructor(
    private readonly deps: {
      readonly stores: UpstreamStores;
      readonly cookies: DssCookies;
      readonly logger: Logger;
      readonly options: UpstreamServiceOptions;
      /** Called after DownloadFiles queued files, so the downloader starts now rather than at its next pass. */
      readonly onFilesQueued?: () => void;
    },
  ) {
    this.#blobs = new UpdateBlobCache(deps.options.blobCacheBytes);
    this.#admits = new DownstreamAdmission(deps.options);
    this.#deployments = new DeploymentsAnswer(deps.stores.catalog, deps.stores.deployments);
  }

  getAuthConfig(op: XmlElement, call: UpstreamCall): string {
    decodeGetAuthConfigRequest(op);
    return encodeGetAuthConfigResponse({
      lastChange: new Date(call.nowMs).toISOString(),
      plugIns: [{ plugInId: 'DssTargeting', serviceUrl: dssAuthServiceUrl, parameter: '' }],
    });
  }

  /** REAL: anonymous, any FQDN-like name and any GUID (docs/protocol/server-sync.md §2.3). */
  async getAuthorizationCookie(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeGetAuthorizationCookieRequest(op, this.limits);
    // SPEC <28>: Windows names `machineName` for a bad account name; we name the field the DSS sent.
    if (r.accountName === '' || !/^[A-Za-z0-9._-]{1,255}$/.test(r.accountName))
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'accountName is not an FQDN', {
        detail: { parameter: 'accountName' },
      });
    const dssId = r.accountGuid.toLowerCase();
    const who = { dssId, dssName: r.accountName, ip: call.ipAddress };
    this.admit(dssId, call, who);
    const cookieData = await this.deps.cookies.issueAuth(r.accountGuid, call.nowMs);
    const auth = { serverId: dssId, name: r.accountName, address: call.ipAddress, userAgent: call.userAgent };
    if (!(await this.deps.stores.downstreams.recordAuth({ ...auth, at: call.nowMs }, this.#admits.maxRows))) {
      this.deps.logger.warn(
        { ...who, max: this.#admits.maxRows },
        'downstream server refused: registry full',
      );
      throw new AppError('PB_ERR_DOWNSTREAM_LIMIT', 'the downstream server registry is full', {
        detail: { faultMessage: 'the downstream server registry of this upstream is full (max_downstreams)' },
      });
    }
    this.deps.logger.info(who, 'downstream server authorized');
    return encodeGetAuthorizationCookieResponse({ plugInId: 'DssTargeting', cookieData });
  }

  async getCookie(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeGetCookieRequest(op, this.limits);
    if (r.authCookies.length !== 1)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'expected one authorization cookie', {
        detail: { parameter: 'authCookies' },
      });
    const auth = await this.deps.cookies.openAuth(r.authCookies[0]!.cookieData, call.nowMs);
    // Again here: the configuration may have changed, or the cookie moved to another address, since auth.
    this.admit(auth.dssId, call, { dssId: auth.dssId, ip: call.ipAddress });
    const v = parseProtocolVersion(r.protocolVersion);
    if (v.major !== 1)
      throw new AppError('PB_ERR_INCOMPATIBLE_PROTOCOL', `protocolVersion ${r.protocolVersion} is not 1.x`);
    await this.deps.stores.downstreams.recordSession(auth.dssId, `${v.major}.${v.minor}`, call.nowMs);
    this.deps.logger.info(
      { dssId: auth.dssId, ip: call.ipAddress, protocolVersion: `${v.major}.${v.minor}` },
      'downstream server session started',
    );
    const expiresAtMs = Math.min(call.nowMs + 240 * 60_000, auth.expiresAtMs);
    const session: DssSession = {
      dssId: auth.dssId,
      expiresAtMs,
      protocolMajor: v.major,
      protocolMinor: v.minor,
    };
    const encryptedData = await this.deps.cookies.issueSession(session, call.nowMs);
    const expirationText = new Date(expiresAtMs).toISOString();
    return encodeGetCookieResponse({ expirationText, expiresAt: new Date(expiresAtMs), encryptedData });
  }

  async getConfigData(op: XmlElement, call: UpstreamCall): Promise<string> {
    await this.session(op, call);
    const r = decodeGetConfigDataRequest(op, this.limits);
    const languages = upstreamLanguageList(await this.deps.stores.enabledLanguages());
    // The config anchor changes exactly when the language list does; the SPEC lists no anchor check, so an
    // unknown anchor just gets the whole list (REAL: a current one gets `<LanguageUpdateList />`).
    const counter = languageListDigest(languages);
    const current = r.configAnchor !== undefined && r.configAnchor.split(',')[0] === String(counter);
    return encodeGetConfigDataResponse({
      ...ws2025ServerFlags,
      maxNumberOfUpdatesPerRequest: this.deps.options.maxUpdatesPerRequest,
      newConfigAnchor: formatAnchor(counter, call.nowMs),
      languages: current ? [] : languages,
      maxUpdatesPerRequestInGetUpdateDecryptionData: maxDecryptionIds,
    });
  }

  async getRevisionIdList(op: XmlElement, call: UpstreamCall): Promise<string> {
    const session = await this.session(op, call);
    const r = decodeGetRevisionIdListRequest(op, this.limits);
    const f = r.filter;
    const sent = parseAnchor(f.anchor, 'filter');
    const stores = this.deps.stores;
    const current = await stores.catalog.currentPosition(call.nowMs);
    if (current === undefined)
      return encodeGetRevisionIdListResponse({ anchor: formatAnchor(0, call.nowMs), revisions: [] });
    const anchor = formatAnchor(current.seq, current.loggedAt);
    let sinceGenerationId: number | undefined;
    if (sent !== undefined) {
      // Only an anchor we handed out narrows the answer; any other (older log rows whose generation was
      // pruned, another upstream's anchor after a move) returns everything: the DSS skips what it holds.
      const row = await stores.catalog.position(sent.counter);
      if (row !== undefined && formatAnchor(row.seq, row.loggedAt) === `${sent.counter},${sent.time}`)
        if (await stores.catalog.generationKept(row.generationId)) sinceGenerationId = row.generationId;
    }
    const ids = (l: typeof f.categories) => l?.map((i) => i.id);
    const fullIds = [...(f.categories ?? []), ...(f.classifications ?? [])]
      .filter((i) => !i.delta)
      .map((i) => i.id);
    const revisions = await stores.catalog.listRevisions({
      generationId: current.generationId,
      sinceGenerationId,
      config: f.getConfig,
      products: ids(f.categories),
      classifications: ids(f.classifications),
      fullIds,
    });
    await this.deps.stores.downstreams.recordSync(session.dssId, call.nowMs);
    // The upstream's sync history of this downstream: one line per listing (config, then updates).
    this.deps.logger.info(
      {
        dssId: session.dssId,
        ip: call.ipAddress,
        getConfig: f.getConfig,
        delta: sinceGenerationId !== undefined,
        revisions: revisions.length,
      },
      'downstream server sync: revision list',
    );
    return encodeGetRevisionIdListResponse({
      anchor,
      revisions: revisions.map((i) => ({
        updateId: asUpdateId(i.updateId),
        revisionNumber: i.revisionNumber,
      })),
    });
  }

  async getUpdateData(op: XmlElement, call: UpstreamCall): Promise<string> {
    const session = await this.session(op, call);
    const r = decodeGetUpdateDataRequest(op, this.limits, this.deps.options.maxUpdatesPerRequest);
    await this.deps.stores.downstreams.recordSync(session.dssId, call.nowMs);
    const current = await this.deps.stores.catalog.currentPosition(call.nowMs);
    const served =
      current === undefined
        ? new Map()
        : await this.deps.stores.catalog.servedRevisions(current.generationId, r.updateIds);
    return encodeGetUpdateDataResponse(
      buildUpdateData(r.updateIds, served, this.deps.options.responseByteBudget, (rev) =>
        this.#blobs.blobOf(rev),
      ),
    );
  }

  /**
   * GetDeployments (replica downstreams, SPEC 3.1.4.10): groups, the approvals changed since the
   * deploymentAnchor, declines as HiddenUpdates and the accepted EULAs (deployments.ts). An anchor we never
   * issued is InvalidParameters naming it; an autonomous DSS may call it too (nothing in the protocol stops it).
   */
  async getDeployments(op: XmlElement, call: UpstreamCall): Promise<string> {
    const session = await this.session(op, call);
    const r = decodeGetDeploymentsRequest(op, this.limits);
    const answer = await this.#deployments.build(r, call.nowMs);
    await this.deps.stores.downstreams.recordSync(session.dssId, call.nowMs);
    this.deps.logger.info(
      {
        dssId: session.dssId,
        ip: call.ipAddress,
        complete: answer.complete,
        groups: answer.groups.length,
        deployments: answer.deployments.length,
        deadDeployments: answer.deadDeployments.length,
        heldBack: answer.heldBack,
        hiddenUpdates: answer.hiddenUpdates.length,
      },
      'downstream server sync: deployments',
    );
    return encodeGetDeploymentsResponse(answer);
  }

  async getRelatedRevisionsForUpdates(op: XmlElement, call: UpstreamCall): Promise<string> {
    await this.session(op, call);
    decodeGetRelatedRevisionsRequest(op, this.limits);
    return encodeGetRelatedRevisionsResponse();
  }

  /**
   * A downstream got a 404 on our /Content/ for these files: queue them for download from our own upstream
   * (the downloader's states and retries apply). Unknown digests fault FileDigestsMissing listing them.
   */
  async downloadFiles(op: XmlElement, call: UpstreamCall): Promise<string> {
    await this.session(op, call);
    const r = decodeDownloadFilesRequest(op, this.limits);
    const current = await this.deps.stores.catalog.currentPosition(call.nowMs);
    const states =
      current === undefined
        ? new Map<string, string>()
        : await this.deps.stores.catalog.servedFileStates(current.generationId, r.digests);
    const missing = r.digests.filter((d) => !states.has(d.toString('hex')));
    if (missing.length > 0)
      throw new AppError('PB_ERR_FILE_DIGESTS_MISSING', `${missing.length} unknown file digests`, {
        detail: { faultMessage: missing.map((d) => d.toString('base64')).join('|') },
      });
    const queued = await this.deps.stores.queueFiles(r.digests, call.nowMs);
    if (queued > 0) this.deps.onFilesQueued?.();
    return encodeDownloadFilesResponse();
  }

  /** Patchbay holds no decryption keys yet (its own sync does not fetch them): every key is null. */
  async getUpdateDecryptionData(op: XmlElement, call: UpstreamCall): Promise<string> {
    await this.session(op, call);
    const r = decodeGetUpdateDecryptionDataRequest(op, maxDecryptionIds, this.limits);
    const current = await this.deps.stores.catalog.currentPosition(call.nowMs);
    const served: ReadonlyMap<string, ServedRevision> =
      current === undefined
        ? new Map()
        : await this.deps.stores.catalog.servedRevisions(current.generationId, r.updateIds);
    const entries = [];
    for (const id of r.updateIds) {
      const rev = served.get(`${id.updateId}/${id.revisionNumber}`);
      if (rev === undefined || rev.files.length === 0) continue;
      entries.push({
        identity: id,
        files: rev.files.map((file) => ({ fileDigest: file.sha1.toString('base64'), key: undefined })),
      });
    }
    return encodeGetUpdateDecryptionDataResponse(entries);
  }

  /** `[upstream_service] allowed_*`: a refused downstream gets PB_ERR_DOWNSTREAM_REFUSED and a log line. */
  private admit(dssId: string, call: UpstreamCall, who: Record<string, unknown>): void {
    const refusal = this.#admits.refusal(dssId, call.ipAddress, call.clientCertificate);
    if (refusal === undefined) return;
    this.deps.logger.warn({ ...who, reason: refusal }, 'downstream server refused');
    throw new AppError('PB_ERR_DOWNSTREAM_REFUSED', `downstream server refused: ${refusal}`, {
      detail: { faultMessage: `this downstream server is not allowed to synchronize here (${refusal})` },
    });
  }

  ping(_op: XmlElement, call: UpstreamCall): string {
    return encodePingResponse(new Date(call.nowMs).toISOString(), call.isHttps);
  }

  /**
   * The session of a cookie-bearing call, checked before anything else in the request: a missing or empty
   * cookie and one we cannot open are InvalidCookie (REAL exchanges/000019), another instance's ServerChanged.
   */
  private async session(op: XmlElement, call: UpstreamCall): Promise<DssSession> {
    const el = childElement(op, serverSyncNs, 'cookie');
    let cookie: ServerSyncCookie;
    try {
      if (el === undefined) throw new Error('no cookie');
      cookie = decodeServerSyncCookie(el, serverSyncNs, 'cookie', this.limits);
    } catch (e) {
      throw new AppError('PB_ERR_COOKIE_INVALID', 'cookie absent or unreadable', { cause: e });
    }
    if (cookie.encryptedData.length === 0) throw new AppError('PB_ERR_COOKIE_INVALID', 'empty cookie');
    const session = await this.deps.cookies.openSession(cookie.encryptedData, call.nowMs);
    // A session minted over a certificate-checked connection is not a pass for one without a certificate.
    if (this.deps.options.requireClientCertificate)
      this.admit(session.dssId, call, { dssId: session.dssId, ip: call.ipAddress });
    return session;
  }
}

/** A small stable number for the language list's state (FNV-1a over the enabled flags), the config counter. */
function languageListDigest(list: readonly { languageId: number; enabled: boolean }[]): number {
  let h = 0x811c9dc5;
  for (const l of list) {
    const s = `${l.languageId}:${l.enabled ? 1 : 0};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h % 1_000_000_000;
}
