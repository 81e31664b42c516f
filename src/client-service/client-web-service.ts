import {
  describeDelivery,
  syncUpdates,
  type DeliveredRevision,
  type DeliveryResult,
} from '../catalog/index.js';
import type { RevisionId, UpdateId } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { ClientEventIngest, ComputerService } from '../fleet/index.js';
import type { Logger } from '../observability/index.js';
import {
  clientWsLimitsFor,
  decodeGetAuthorizationCookieRequest,
  decodeGetConfigRequest,
  decodeGetCookieRequest,
  decodeGetExtendedUpdateInfoRequest,
  decodeGetFileLocationsRequest,
  decodeRefreshCacheRequest,
  decodeRegisterComputerRequest,
  decodeStartCategoryScanRequest,
  decodeSyncPrinterCatalogRequest,
  decodeSyncUpdatesRequest,
  encodeGetAuthorizationCookieResponse,
  encodeGetConfigResponse,
  encodeGetCookieResponse,
  encodeGetExtendedUpdateInfoResponse,
  encodeGetFileLocationsResponse,
  encodeRefreshCacheResponse,
  encodeRegisterComputerResponse,
  encodeStartCategoryScanResponse,
  encodeSyncPrinterCatalogResponse,
  encodeSyncUpdatesResponse,
  serverProtocolVersion,
  simpleTargetingPlugIn,
  type ClientWsLimits,
  type FragmentData,
  type RefreshCacheItem,
  type SessionCookie,
  type SessionCookieOut,
  type UpdateInfo,
} from '../protocol/client-ws/index.js';
import {
  decodeReportEventBatchRequest,
  encodeReportEventBatchResponse,
} from '../protocol/reporting/index.js';
import type { XmlElement } from '../protocol/xml/index.js';
import type { CatalogCache } from './catalog-cache.js';
import { answerDriverPass, driverPassDevices, type DriverSource } from './driver-source.js';
import { sessionLifetimeMs, type ClientCookies, type SessionClaims } from './client-cookies.js';
import type { ClientConfig } from './client-config.js';
import type { FileLocator } from './file-locator.js';
import type { FragmentCache } from './fragment-cache.js';
import { pickLocalized, type LocalizedSource } from './localized.js';

/** Per-call facts from the transport. */
export interface ClientCall {
  /** `scheme://host:port` for FileLocation URLs (docs/protocol/client.md §1.9). */
  readonly baseUrl: string;
  readonly nowMs: number;
  readonly ipAddress: string | undefined;
}

export interface ClientWebServiceDeps {
  readonly logger: Logger;
  readonly config: ClientConfig;
  /** The configuration generation stamp (loadConfigGeneration): GetConfig LastChange, sealed in cookies. */
  readonly configGeneration: number;
  readonly cookies: ClientCookies;
  readonly computers: ComputerService;
  readonly eventIngest: ClientEventIngest;
  readonly catalog: CatalogCache;
  readonly fragments: FragmentCache;
  readonly localized: LocalizedSource;
  readonly files: FileLocator;
  /** The driver metadata index; without it the driver pass answers no drivers (DriverSyncNotNeeded). */
  readonly drivers?: DriverSource;
  /** Records scans of a generation under a ringed rollout: the gate's evidence (docs/rings.md). */
  readonly rolloutScans?: RolloutScanRecorder;
  /** NewUpdates per SyncUpdates page (REAL WS2025: 30; WUA accepts up to 200). */
  readonly pageSize?: number;
  /** Told when a scan's last SyncUpdates page is answered (the scans counter of /metrics). */
  readonly onScanCompleted?: () => void;
}

export interface RolloutScanRecorder {
  record(
    generationId: number,
    computerId: string,
    event: 'started' | 'completed' | 'faulted',
    now: number,
    faultCode?: string,
  ): Promise<void>;
}

/** ReportEventBatch EventID of a failed detection (docs/protocol/client.md §1.11: 147 / 148). */
const detectionFailedEventId = 148;

/** Cookie group lists are bounded by the codec; a computer in more groups keeps the first 32 (sorted). */
const maxCookieGroups = 32;
/** Last-sync timestamps are written at most this often per computer (one write per page would dominate). */
const touchIntervalMs = 60_000;

/**
 * The MS-WUSP operations (client web service, SimpleAuth, reporting) in protocol terms: each method takes the
 * decoded-by-nobody operation element, decodes it with the typed codec (hard limits, InvalidParameters naming
 * the parameter), checks the cookie before touching anything else, runs the service and returns the encoded
 * `…Response` element. Transport (envelopes, HTTP) is the caller's.
 */
export class ClientWebService {
  readonly limits: ClientWsLimits;
  readonly #touched = new Map<string, number>();

  constructor(private readonly deps: ClientWebServiceDeps) {
    this.limits = clientWsLimitsFor({
      maxExtendedUpdatesPerRequest: deps.config.maxExtendedUpdatesPerRequest,
    });
  }

  getConfig(op: XmlElement): string {
    decodeGetConfigRequest(op, this.limits);
    const c = this.deps.config;
    return encodeGetConfigResponse({
      lastChange: new Date(this.deps.configGeneration),
      registrationRequired: c.registrationRequired,
      authPlugIns: [simpleTargetingPlugIn],
      maxExtendedUpdatesPerRequest: c.maxExtendedUpdatesPerRequest,
      packageServerShare: c.packageServerShare,
      protocolVersion: serverProtocolVersion,
      inventoryRequired: false,
      clientReportingLevel: c.clientReportingLevel,
    });
  }

  async getAuthorizationCookie(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeGetAuthorizationCookieRequest(op, this.limits);
    const names = req.targetGroupNames.slice(0, 16);
    const { unknownGroupNames } = await this.deps.computers.enrol(
      req.clientId,
      { dnsName: req.dnsName, ipAddress: call.ipAddress, targetGroupNames: names },
      call.nowMs,
    );
    if (unknownGroupNames.length > 0)
      this.deps.logger.info(
        { computerId: req.clientId, unknownGroupNames },
        'client-side targeting names no existing group',
      );
    const cookieData = await this.deps.cookies.issueAuth(
      { clientId: req.clientId, targetGroupNames: names.filter((n) => Buffer.byteLength(n) <= 256) },
      call.nowMs,
    );
    return encodeGetAuthorizationCookieResponse({ plugInId: simpleTargetingPlugIn.plugInId, cookieData });
  }

  async getCookie(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeGetCookieRequest(op, this.limits);
    // The auth cookie is verified (GCM tag) before anything it claims is used.
    const auth =
      req.authorizationCookies.find((c) => c.plugInId === simpleTargetingPlugIn.plugInId) ??
      req.authorizationCookies[0];
    if (auth === undefined) throw new AppError('PB_ERR_AUTH_COOKIE_INVALID', 'no authorization cookie');
    const claims = await this.deps.cookies.openAuth(auth.cookieData, call.nowMs);
    if (req.configLastChange !== undefined && req.configLastChange.getTime() !== this.deps.configGeneration)
      throw new AppError('PB_ERR_CONFIG_CHANGED', 'the client holds an older GetConfig answer');
    const groupIds = (await this.deps.computers.groupIdsOf(claims.clientId)).slice(0, maxCookieGroups);
    const session: SessionClaims = {
      clientId: claims.clientId,
      groupIds,
      issuedAtMs: call.nowMs,
      expiresAtMs: call.nowMs + sessionLifetimeMs,
      configGeneration: this.deps.configGeneration,
      // A fresh cookie starts at anchor 0: the first scan gets every governed deployment as ChangedUpdates
      // (REAL: 295 at a fresh anchor), so nothing changed while the client had no cookie is lost.
      position: { generationId: 0, changeSeq: 0 },
    };
    return encodeGetCookieResponse(await this.sessionOut(session));
  }

  async registerComputer(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeRegisterComputerRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const c = req.computer;
    const version =
      c.clientVersionMajorNumber === undefined
        ? undefined
        : [
            c.clientVersionMajorNumber,
            c.clientVersionMinorNumber ?? 0,
            c.clientVersionBuildNumber ?? 0,
            c.clientVersionQfeNumber ?? 0,
          ].join('.');
    await this.deps.computers.register(
      session.clientId,
      {
        ...(c.dnsName !== undefined ? { dnsName: c.dnsName } : {}),
        ...(call.ipAddress !== undefined ? { ipAddress: call.ipAddress } : {}),
        osMajor: c.osMajorVersion ?? null,
        osMinor: c.osMinorVersion ?? null,
        osBuild: c.osBuildNumber ?? null,
        osServicePackMajor: c.osServicePackMajorNumber ?? null,
        osServicePackMinor: c.osServicePackMinorNumber ?? null,
        osLocale: c.osLocale ?? null,
        osProductType: c.newProductType ?? null,
        osDescription: c.osDescription ?? null,
        computerMake: c.computerManufacturer ?? null,
        computerModel: c.computerModel ?? null,
        biosVersion: c.biosVersion ?? null,
        firmwareVersion: c.firmwareVersion ?? null,
        clientVersion: version ?? null,
        processorArchitecture: c.processorArchitecture ?? null,
        // Everything else, bounded by the codec's string limits (a few KB at most).
        inventory: {
          biosName: c.biosName,
          biosReleaseDate: c.biosReleaseDate?.toISOString(),
          suiteMask: c.suiteMask,
          oldProductType: c.oldProductType,
          systemMetrics: c.systemMetrics,
          oem: c.oem,
          deviceType: c.deviceType,
          mobileOperator: c.mobileOperator,
        },
      },
      call.nowMs,
    );
    return encodeRegisterComputerResponse();
  }

  /** REAL: sent without a cookie. Known categories are echoed as preferred, unknown ones reported in error. */
  async startCategoryScan(op: XmlElement): Promise<string> {
    const req = decodeStartCategoryScanRequest(op, this.limits);
    const g = await this.deps.catalog.generation(0);
    const preferred: UpdateId[] = [];
    const inError: UpdateId[] = [];
    const seen = new Set<UpdateId>();
    for (const t of req.requestedCategories) {
      if (seen.has(t.categoryId)) continue;
      seen.add(t.categoryId);
      const u = g.index.findUpdate(t.categoryId);
      const r = u < 0 ? -1 : (g.index.currentOf[u] ?? -1);
      if (r >= 0 && g.index.kindOf(r) === 'category') preferred.push(t.categoryId);
      else inError.push(t.categoryId);
    }
    return encodeStartCategoryScanResponse({
      preferredCategoryIds: preferred,
      categoryIdsInError: inError,
    });
  }

  async syncUpdates(op: XmlElement, call: ClientCall): Promise<string> {
    // The codec counts InstalledNonLeafUpdateIDs (the REAL 400 cap) before it even reads the cookie.
    const req = decodeSyncUpdatesRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const g = await this.deps.catalog.generation(session.position.generationId, session.groupIds);
    // A scan of a generation under a ringed rollout is the gate's evidence: its start, end and faults.
    const tracked = (await this.deps.catalog.rolloutGenerationId()) === g.generationId && g.generationId > 0;
    try {
      return await this.syncUpdatesOn(g, session, req, call, tracked);
    } catch (e) {
      if (tracked)
        await this.recordScan(g.generationId, session.clientId, 'faulted', call.nowMs, faultCodeOf(e));
      throw e;
    }
  }

  private async syncUpdatesOn(
    g: Awaited<ReturnType<CatalogCache['generation']>>,
    session: SessionClaims,
    req: ReturnType<typeof decodeSyncUpdatesRequest>,
    call: ClientCall,
    tracked: boolean,
  ): Promise<string> {
    const scope = await this.deps.catalog.scope(g, session.groupIds);
    const drivers = this.deps.drivers;
    let result: DeliveryResult;
    if (req.skipSoftwareSync && req.systemSpec !== undefined && drivers !== undefined) {
      // The driver pass (docs/protocol/upstream.md §U5): candidates through the hardware-id index only.
      const devices = driverPassDevices(req.systemSpec.devices);
      result = await answerDriverPass(g.index, scope, drivers, {
        devices,
        installedNonLeafRevisionIds: req.installedNonLeafRevisionIds,
        cachedDriverRevisionIds: req.cachedDriverRevisionIds,
        anchor: session.position.changeSeq,
      });
    } else
      result = syncUpdates(g.index, scope, {
        installedNonLeafRevisionIds: req.installedNonLeafRevisionIds,
        otherCachedRevisionIds: req.otherCachedRevisionIds,
        skipSoftwareSync: req.skipSoftwareSync,
        filterCategoryIds: req.filterCategoryIds,
        anchor: session.position.changeSeq,
        pageSize: this.deps.pageSize,
      });
    const newUpdates = await this.withCore(result.newUpdates);
    const changedUpdates = await this.withCore(result.changedUpdates);
    // The scan goes on while the client will call again (Truncated, or a non-leaf revision to evaluate);
    // until then it stays on this generation. After the last page the next call starts on the active one.
    const continues = result.truncated || result.newUpdates.some((u) => !u.isLeaf);
    const newCookie = await this.sessionOut({
      ...session,
      position: { generationId: continues ? g.generationId : 0, changeSeq: result.anchor },
    });
    this.touch(session.clientId, call.nowMs);
    if (!continues) this.deps.onScanCompleted?.();
    if (tracked && !continues)
      await this.recordScan(g.generationId, session.clientId, 'completed', call.nowMs);
    else if (tracked && session.position.generationId === 0)
      await this.recordScan(g.generationId, session.clientId, 'started', call.nowMs);
    return encodeSyncUpdatesResponse({
      newUpdates,
      outOfScopeRevisionIds: result.outOfScopeRevisionIds,
      changedUpdates,
      truncated: result.truncated,
      newCookie,
      driverSyncNotNeeded: result.driverSyncNotNeeded,
    });
  }

  /** Add-Printer wizard only: we serve no printer catalog, so an empty SyncInfo with a fresh cookie. */
  async syncPrinterCatalog(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeSyncPrinterCatalogRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    return encodeSyncPrinterCatalogResponse({ newCookie: await this.sessionOut(session) });
  }

  /**
   * After InvalidCookie/ServerChanged the client re-maps cached identities to our revision ids. As WS2025
   * does (docs/protocol/client.md §1.4), revisions whose action is Bundle are omitted (the client re-syncs them).
   */
  async refreshCache(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeRefreshCacheRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const g = await this.deps.catalog.generation(session.position.generationId, session.groupIds);
    const scope = await this.deps.catalog.scope(g, session.groupIds);
    const items: RefreshCacheItem[] = [];
    for (const identity of req.identities) {
      const u = g.index.findUpdate(identity.updateId);
      if (u < 0) continue;
      const r = g.index.currentOf[u] ?? -1;
      if (r < 0 || g.index.revisionNumbers[r] !== identity.revisionNumber || scope.inScope[r] !== 1) continue;
      const d = describeDelivery(g.index, scope, r);
      if (d.deployment.action === 'Bundle') continue;
      items.push({
        revisionId: d.revisionId,
        identity,
        isLeaf: d.isLeaf,
        deployment: toWireDeployment(d),
      });
    }
    return encodeRefreshCacheResponse(items);
  }

  async getExtendedUpdateInfo(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeGetExtendedUpdateInfoRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const g = await this.deps.catalog.generation(session.position.generationId, session.groupIds);
    const known: RevisionId[] = [];
    const outOfScope: RevisionId[] = [];
    const seen = new Set<RevisionId>();
    for (const id of req.revisionIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (g.index.findRevision(id) >= 0) known.push(id);
      else outOfScope.push(id);
    }
    const fragments: FragmentData[] = [];
    const types = [...new Set(req.infoTypes)];
    for (const type of types) {
      if (type === 'Core' || type === 'Extended') {
        const map = await this.deps.fragments.get(known, type === 'Core' ? 'core' : 'extended');
        for (const id of known) {
          const xml = map.get(id);
          if (xml !== undefined) fragments.push({ revisionId: id, xml });
        }
      } else if (type === 'LocalizedProperties') {
        const picked = await pickLocalized(this.deps.localized, known, req.locales);
        for (const id of known) {
          const xml = picked.get(id);
          if (xml !== undefined) fragments.push({ revisionId: id, xml });
        }
      }
      // Other types (Eula, VerificationRule, FileUrl...) have no data here: nothing is written for them.
    }
    const fileLocations = types.includes('Extended')
      ? await this.deps.files.locationsForRevisions(known, call.baseUrl)
      : [];
    return encodeGetExtendedUpdateInfoResponse({
      fragments,
      fileLocations,
      outOfScopeRevisionIds: outOfScope,
    });
  }

  async getFileLocations(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeGetFileLocationsRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const fileLocations = await this.deps.files.locationsForDigests(req.fileDigests, call.baseUrl);
    return encodeGetFileLocationsResponse({ fileLocations, newCookie: await this.sessionOut(session) });
  }

  /** Always `true` once the cookie is valid: events are stored, never trusted (docs/protocol/client.md §1.11). */
  async reportEventBatch(op: XmlElement, call: ClientCall): Promise<string> {
    const req = decodeReportEventBatchRequest(op, this.limits);
    const session = await this.openSession(req.cookie, call);
    const outcome = await this.deps.eventIngest.ingestBatch(session.clientId, req.events, call.nowMs);
    const failed = req.events.find(
      (e) => e.eventId === detectionFailedEventId && e.targetId === session.clientId,
    );
    if (failed !== undefined) {
      // A failed detection on a rollout generation counts against its gate (the scan it reports ran on
      // the generation the computer's ring is served).
      const rollout = await this.deps.catalog.rolloutGenerationId();
      if (rollout !== undefined && (await this.deps.catalog.servingId(session.groupIds)) === rollout)
        await this.recordScan(
          rollout,
          session.clientId,
          'faulted',
          call.nowMs,
          hresultText(failed.win32HResult),
        );
    }
    this.deps.logger.debug({ computerId: session.clientId, ...outcome }, 'events reported');
    return encodeReportEventBatchResponse(true);
  }

  private async openSession(cookie: SessionCookie, call: ClientCall): Promise<SessionClaims> {
    if (cookie.encryptedData.length === 0) throw new AppError('PB_ERR_COOKIE_INVALID', 'no cookie data');
    return this.deps.cookies.openSession(cookie.encryptedData, call.nowMs, this.deps.configGeneration);
  }

  private async sessionOut(s: SessionClaims): Promise<SessionCookieOut> {
    return { expiration: new Date(s.expiresAtMs), encryptedData: await this.deps.cookies.issueSession(s) };
  }

  private async withCore(list: readonly DeliveredRevision[]): Promise<UpdateInfo[]> {
    if (list.length === 0) return [];
    const core = await this.deps.fragments.escapedCore(list.map((u) => u.revisionId));
    return list.map((u) => {
      const xml = core.get(u.revisionId);
      // A catalog member without its Core fragment is broken data: never send an UpdateInfo without Xml.
      if (xml === undefined)
        throw new AppError('PB_ERR_INTERNAL', `revision ${u.revisionId} has no Core fragment`);
      return {
        revisionId: u.revisionId,
        deployment: toWireDeployment(u),
        isLeaf: u.isLeaf,
        coreXml: xml,
      };
    });
  }

  /** Evidence is best effort: a database hiccup must not fail the client's scan. */
  private async recordScan(
    generationId: number,
    clientId: string,
    event: 'started' | 'completed' | 'faulted',
    nowMs: number,
    code?: string,
  ): Promise<void> {
    if (this.deps.rolloutScans === undefined) return;
    try {
      await this.deps.rolloutScans.record(generationId, clientId, event, nowMs, code);
    } catch (err) {
      this.deps.logger.warn({ err, computerId: clientId, generationId }, 'cannot record a rollout scan');
    }
  }

  private touch(clientId: string, nowMs: number): void {
    const last = this.#touched.get(clientId);
    if (last !== undefined && nowMs - last < touchIntervalMs) return;
    if (this.#touched.size > 100_000) this.#touched.clear();
    this.#touched.set(clientId, nowMs);
    this.deps.computers.touchLastSync(clientId, nowMs).catch((err: unknown) => {
      this.deps.logger.warn({ err, computerId: clientId }, 'cannot record last sync time');
    });
  }
}

function faultCodeOf(e: unknown): string {
  return e instanceof AppError ? e.code : 'PB_ERR_INTERNAL';
}

/** `0x80246007` for -2145099769: the form admins search for. */
function hresultText(hr: number): string {
  return `0x${(hr >>> 0).toString(16).padStart(8, '0')}`;
}

function toWireDeployment(u: DeliveredRevision): UpdateInfo['deployment'] {
  const d = u.deployment;
  return {
    id: d.id,
    action: d.action,
    ...(d.deadlineAt !== undefined ? { deadline: new Date(d.deadlineAt) } : {}),
    isAssigned: d.isAssigned,
    lastChangeTime: new Date(d.lastChangeAt),
    autoSelect: 0,
    autoDownload: 0,
    supersedenceBehavior: 0,
  };
}
