/**
 * Catalog mode (docs/protocol/captures.md §4.2 (b)): a small in-test upstream answering the MS-WSUSSS flow from a catalog of
 * documents with Patchbay's own USS-side codecs: GetRevisionIdList with exactly the identities it has (GetConfig
 * true = categories and detectoids; false = product AND classification match over the documents' prerequisite
 * ids, anchors with Delta), GetUpdateData with plain blobs up to 5,120 UTF-16 bytes, the given real cabinets,
 * MSZIP cabinets otherwise, FileDigestList and fileUrls. Faults are injected per identity or per call.
 */
import { randomBytes } from 'node:crypto';
import type { UpdateIdentity } from '../../../src/domain/ids.js';
import { encodeSoapResponse } from '../../../src/protocol/soap/index.js';
import {
  decodeGetCookieRequest,
  decodeGetRevisionIdListRequest,
  decodeGetUpdateDataRequest,
  decodeRequestCookie,
  defaultServerSyncLimits,
  encodeGetAuthConfigResponse,
  encodeGetAuthorizationCookieResponse,
  encodeGetConfigDataResponse,
  ws2025ServerFlags,
  encodeGetCookieResponse,
  encodeGetRevisionIdListResponse,
  encodeGetUpdateDataResponse,
  encodeUpdateBlob,
  type ServerSyncUpdateData,
  type UpdateBlob,
} from '../../../src/protocol/server-sync/index.js';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import {
  startFakeSoapServer,
  wsusFault,
  type FakeSoapServer,
  type OtherHandler,
  type RecordedRequest,
  type SoapAnswer,
} from './soap-server.js';

export interface CatalogEntry {
  readonly identity: UpdateIdentity;
  /** The document text as the upstream serves it (may be deliberately broken by a test). */
  readonly text: string;
  /** A real cabinet to serve instead of our own encoding. */
  readonly cabinet?: Buffer;
  /** Listed by GetRevisionIdList (bundle children and closure-only documents are not). */
  readonly listed: boolean;
  /** Change sequence: listed with Delta only when newer than the anchor. */
  seq: number;
  /** Overrides the FileDigestList (wrong-digest injection). */
  readonly fileDigests?: readonly string[];
  /** Overrides the MUUrl of each file, in FileDigestList order (hostile URL injection). */
  readonly muUrls?: readonly string[];
}

export interface CatalogFaults {
  /** Identities whose presence in a GetUpdateData call faults the whole call (REAL: unknown id). */
  readonly faultingIds?: ReadonlySet<string>;
  /** At most this many updates per answer (REAL: 80 of 100 returned near 2 MB). */
  maxUpdatesPerAnswer?: number;
  /** The next n GetUpdateData calls answer 503. */
  http503?: number;
  /** The next GetUpdateData call hangs. */
  hangOnce?: boolean;
  /** The next GetUpdateData answer drips a few bytes at a time. */
  slowDripOnce?: boolean;
  /** The next GetUpdateData answer is empty (a batch returning nothing). */
  emptyOnce?: boolean;
  /** Every GetUpdateData answer waits this long (crash tests: a window to kill the client mid-sync). */
  delayMs?: number;
  /** Every GetUpdateData answer is an HTML page with status 200 (a broken upstream or proxy). */
  garbageAnswers?: boolean;
  /** The next n authenticated calls fault InvalidCookie (cookie handling). */
  invalidCookie?: number;
  /** The next n calls of `serverBusyOp` (default GetUpdateData) fault ServerBusy (an upstream shedding load). */
  serverBusy?: number;
  serverBusyOp?: string;
}

export interface CatalogUpstream extends FakeSoapServer {
  readonly entries: Map<string, CatalogEntry>;
  readonly faults: CatalogFaults;
  /** Adds or replaces an entry with a new change sequence. */
  put(entry: Omit<CatalogEntry, 'seq'>): void;
  /** GetUpdateData identities requested, per call. */
  readonly updateDataCalls: UpdateIdentity[][];
}

const k = (i: UpdateIdentity) => `${i.updateId}/${i.revisionNumber}`;
const asmx = { version: '1.1', style: 'asmx' } as const;

export async function startCatalogUpstream(options: {
  entries: readonly Omit<CatalogEntry, 'seq'>[];
  faults?: CatalogFaults;
  maxUpdatesPerRequest?: number;
  cookieLifetimeMs?: number;
  now?: () => number;
  /** Serves non-SOAP requests on the same origin (a `/Content/` tree). */
  other?: OtherHandler;
}): Promise<CatalogUpstream> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, CatalogEntry>();
  let seq = 0;
  const put = (e: Omit<CatalogEntry, 'seq'>) => entries.set(k(e.identity), { ...e, seq: ++seq });
  for (const e of options.entries) put(e);
  const faults: CatalogFaults = { ...options.faults };
  const cookies = new Set<string>();
  const updateDataCalls: UpdateIdentity[][] = [];
  const meta = new Map<string, { updateType: string; prereqIds: Set<string>; digests: string[] }>();
  const metaOf = (e: CatalogEntry) => {
    let m = meta.get(e.text);
    if (!m) {
      try {
        const d = parseUpdateDocument(e.text);
        m = {
          updateType: d.updateType,
          prereqIds: new Set(d.prerequisites.flatMap((c) => c.anyOf)),
          digests: d.files.map((f) => f.sha1Base64),
        };
      } catch {
        // A deliberately broken document is still listed: match the filter on the ids it names.
        m = {
          updateType: 'Software',
          prereqIds: new Set([...e.text.matchAll(/UpdateID="([^"]+)"/g)].map((x) => x[1]!)),
          digests: [],
        };
      }
      meta.set(e.text, m);
    }
    return m;
  };
  const ok = (xml: string): SoapAnswer => ({ status: 200, body: encodeSoapResponse(xml, asmx).body });

  const handler = async (req: RecordedRequest): Promise<SoapAnswer> => {
    if (req.op === 'GetUpdateData' && faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    if ((faults.serverBusy ?? 0) > 0 && req.op === (faults.serverBusyOp ?? 'GetUpdateData')) {
      faults.serverBusy!--;
      return wsusFault('ServerBusy', 'Server', req.op);
    }
    switch (req.op) {
      case 'GetAuthConfig':
        return ok(
          encodeGetAuthConfigResponse({
            lastChange: '2026-10-04T13:16:35.433Z',
            plugIns: [
              {
                plugInId: 'DssTargeting',
                serviceUrl: 'DssAuthWebService/DssAuthWebService.asmx',
                parameter: '',
              },
            ],
          }),
        );
      case 'GetAuthorizationCookie':
        return ok(
          encodeGetAuthorizationCookieResponse({ plugInId: 'DssTargeting', cookieData: randomBytes(48) }),
        );
      case 'GetCookie': {
        decodeGetCookieRequest(req.payload);
        const data = randomBytes(32);
        cookies.add(data.toString('base64'));
        const exp = new Date(now() + (options.cookieLifetimeMs ?? 4 * 3600_000));
        return ok(
          encodeGetCookieResponse({ expirationText: exp.toISOString(), expiresAt: exp, encryptedData: data }),
        );
      }
    }
    // Authenticated operations.
    let cookieOk: boolean;
    try {
      cookieOk = cookies.has(
        decodeRequestCookie(req.payload, defaultServerSyncLimits).encryptedData.toString('base64'),
      );
    } catch {
      cookieOk = false;
    }
    if (!cookieOk) return wsusFault('InvalidCookie', 'Client', req.op);
    if ((faults.invalidCookie ?? 0) > 0) {
      faults.invalidCookie!--;
      cookies.clear();
      return wsusFault('InvalidCookie', 'Client', req.op);
    }
    switch (req.op) {
      case 'GetConfigData':
        return ok(
          encodeGetConfigDataResponse({
            ...ws2025ServerFlags,
            maxNumberOfUpdatesPerRequest: options.maxUpdatesPerRequest ?? 100,
            newConfigAnchor: `1,${seq}`,
            languages: [
              { languageId: 0, shortLanguage: 'all', longLanguage: 'all', enabled: false },
              { languageId: 1031, shortLanguage: 'de', longLanguage: 'German', enabled: false },
              { languageId: 1033, shortLanguage: 'en', longLanguage: 'English', enabled: true },
            ],
            maxUpdatesPerRequestInGetUpdateDecryptionData: 100,
          }),
        );
      case 'GetRevisionIdList': {
        const { filter } = decodeGetRevisionIdListRequest(req.payload);
        const since = filter.anchor === undefined ? -1 : Number(filter.anchor.split(',')[1]);
        if (filter.anchor !== undefined && !Number.isFinite(since))
          return wsusFault('InvalidParameters', 'Client', req.op);
        const products = new Set(filter.categories?.map((c) => c.id));
        const classes = new Set(filter.classifications?.map((c) => c.id));
        const deltaOf = (list: typeof filter.categories) => list?.some((c) => c.delta) ?? true;
        const useDelta =
          filter.anchor !== undefined && deltaOf(filter.categories) && deltaOf(filter.classifications);
        const out: UpdateIdentity[] = [];
        for (const e of entries.values()) {
          if (!e.listed) continue;
          if (useDelta && e.seq <= since) continue;
          const m = metaOf(e);
          const isConfig = m.updateType === 'Category' || m.updateType === 'Detectoid';
          if (filter.getConfig !== isConfig) continue;
          if (!filter.getConfig) {
            const hasP = [...m.prereqIds].some((id) => products.has(id));
            const hasC = [...m.prereqIds].some((id) => classes.has(id));
            if (filter.categories !== undefined || filter.classifications !== undefined)
              if (!hasP || !hasC) continue;
          }
          out.push(e.identity);
        }
        return ok(encodeGetRevisionIdListResponse({ anchor: `1,${seq}`, revisions: out }));
      }
      case 'GetUpdateData': {
        const r = decodeGetUpdateDataRequest(
          req.payload,
          defaultServerSyncLimits,
          options.maxUpdatesPerRequest ?? 100,
        );
        updateDataCalls.push([...r.updateIds]);
        if ((faults.http503 ?? 0) > 0) {
          faults.http503!--;
          return { status: 503, body: 'Service Unavailable' };
        }
        if (faults.garbageAnswers)
          return { status: 200, body: '<html><body>Service temporarily unavailable</body></html>' };
        if (faults.hangOnce) {
          faults.hangOnce = false;
          return 'hang';
        }
        if (r.updateIds.some((i) => !entries.has(k(i)) || faults.faultingIds?.has(k(i))))
          return wsusFault('InternalServerError', 'Server', req.op);
        if (faults.emptyOnce) {
          faults.emptyOnce = false;
          return ok(encodeGetUpdateDataResponse({ updates: [], fileUrls: [] }));
        }
        const ids = r.updateIds.slice(0, faults.maxUpdatesPerAnswer ?? r.updateIds.length);
        const updates: ServerSyncUpdateData[] = ids.map((i) => {
          const e = entries.get(k(i))!;
          const blob: UpdateBlob = e.cabinet
            ? { kind: 'compressed', base64: e.cabinet.toString('base64') }
            : encodeUpdateBlob(e.text);
          return { identity: i, blob, fileDigests: e.fileDigests ?? metaOf(e).digests };
        });
        const fileUrls = updates.flatMap((u) =>
          u.fileDigests.map((d, n) => ({
            fileDigest: d,
            muUrl:
              entries.get(k(u.identity))?.muUrls?.[n] ??
              `http://download.windowsupdate.com/c/msdownload/update/software/defu/${Buffer.from(d, 'base64').toString('hex')}.exe`,
            ussUrl: '',
          })),
        );
        const body = encodeSoapResponse(encodeGetUpdateDataResponse({ updates, fileUrls }), asmx).body;
        if (faults.slowDripOnce) {
          faults.slowDripOnce = false;
          return { slowDrip: body, bytesPerTick: 16, tickMs: 100 };
        }
        return { status: 200, body };
      }
      default:
        return wsusFault('InvalidParameters', 'Client', req.op);
    }
  };
  const server = await startFakeSoapServer(handler, options.other);
  return Object.assign(server, { entries, faults, put, updateDataCalls });
}
