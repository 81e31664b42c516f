import { AppError } from '../errors.js';
import type { Logger } from '../observability/index.js';
import {
  decodeGetOutOfSyncComputersRequest,
  decodeGetRollupConfigurationRequest,
  decodeRollupComputersRequest,
  decodeRollupComputerStatusRequest,
  decodeRollupDownstreamServersRequest,
  defaultRollupLimits,
  encodeGetOutOfSyncComputersResponse,
  encodeGetRollupConfigurationResponse,
  encodeRollupComputersResponse,
  encodeRollupComputerStatusResponse,
  encodeRollupDownstreamServersResponse,
  zeroGuid,
  type RollupComputerDetails,
} from '../protocol/reporting/index.js';
import type { XmlElement } from '../protocol/xml/index.js';
import type { DownstreamAdmission } from './downstream-admission.js';
import type { RollupStore } from './upstream-ports.js';
import type { UpstreamCall, UpstreamServiceOptions } from './upstream-web-service.js';

/** SPEC <50> <54> <61>: a DSS clock more than a minute off has its timestamps shifted by the difference. */
const skewToleranceMs = 60_000;

/**
 * The upstream side of reporting roll-up (docs/upstream.md "Reporting roll-up", docs/protocol/upstream.md §U2,
 * SPEC only): the five ReportingWebService operations a downstream server calls on us.
 *
 * The SPEC's cookie is a fixed value that authenticates nothing, so every call is bound to a downstream we
 * know instead: the server ids it names must be a registered downstream (one that authorized through
 * DssAuth) or a server that downstream rolled up before; the call must come from the address that
 * downstream last authorized from; the admission rules of server sync apply (allowed ids, addresses, client
 * certificate). A downstream only writes its own subtree, within per-downstream caps.
 */
export class RollupWebService {
  readonly limits = defaultRollupLimits;

  constructor(
    private readonly deps: {
      readonly store: RollupStore;
      readonly admission: DownstreamAdmission;
      readonly logger: Logger;
      readonly options: UpstreamServiceOptions;
      /** Our server id (the instance id): the USS ServerId and the parent of direct downstreams. */
      readonly serverId: string;
    },
  ) {}

  async getRollupConfiguration(op: XmlElement, call: UpstreamCall): Promise<string> {
    decodeGetRollupConfigurationRequest(op);
    // No server id in the request: only the address and certificate rules can apply.
    this.refuseIf(
      this.deps.admission.refusal(zeroGuid, call.ipAddress, call.clientCertificate),
      call,
      zeroGuid,
      true,
    );
    const l = this.limits;
    return encodeGetRollupConfigurationResponse({
      doDetailedRollup: this.deps.options.rollupDetailed,
      rollupResetGuid: await this.deps.store.resetGuid(),
      serverId: this.deps.serverId,
      downstreamServersMaxBatchSize: l.downstreamServersBatch,
      computersMaxBatchSize: l.computersBatch,
      outOfSyncComputersMaxBatchSize: l.outOfSyncBatch,
      computerStatusMaxBatchSize: l.computerStatusBatch,
    });
  }

  async rollupDownstreamServers(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeRollupDownstreamServersRequest(op, this.limits);
    if (r.servers.length === 0) return encodeRollupDownstreamServersResponse();
    const shift = skew(r.clientTime, call.nowMs);
    // SPEC 3.2.4.5: parents before children and the caller itself last; a batch without the caller still
    // starts below it, so the caller is the first entry's owner.
    const first = r.servers[0]!;
    const reporter = isUs(first.parentServerId, this.deps.serverId)
      ? first.serverId
      : await this.deps.store.ownerOf(first.parentServerId);
    if (reporter === undefined) throw unknownParent(first.parentServerId);
    await this.bind(reporter, call);
    const known = await this.deps.store.subtree(reporter);
    const rows = [];
    for (const s of r.servers) {
      let parent = s.parentServerId;
      if (isUs(parent, this.deps.serverId)) {
        // Only the caller hangs directly below us; any other server claiming so is not the caller's to send.
        if (s.serverId !== reporter) throw unknownParent(parent);
        parent = this.deps.serverId;
      } else if (!known.has(parent)) throw unknownParent(parent);
      if (s.serverId === this.deps.serverId) throw unknownParent(s.serverId);
      known.add(s.serverId);
      rows.push({
        serverId: s.serverId,
        parentServerId: parent,
        name: s.fullDomainName,
        version: s.version,
        isReplica: s.isReplica,
        lastSyncAt: at(s.lastSyncTime, shift),
        lastRollupAt: at(s.lastRollupTime, shift),
        summary: s.summary,
      });
    }
    const outcome = await this.deps.store.recordServers(
      reporter,
      rows,
      this.deps.options.rollupMaxServers,
      call.nowMs,
    );
    this.logOutcome('servers', reporter, call, outcome, 'rollup_max_servers_per_downstream');
    return encodeRollupDownstreamServersResponse();
  }

  async rollupComputers(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeRollupComputersRequest(op, this.limits);
    this.requireDetailed();
    if (r.computers.length === 0) return encodeRollupComputersResponse([]);
    const shift = skew(r.clientTime, call.nowMs);
    const reporter = await this.deps.store.ownerOf(r.computers[0]!.parentServerId);
    if (reporter === undefined) throw unknownParent(r.computers[0]!.parentServerId);
    await this.bind(reporter, call);
    const subtree = await this.deps.store.subtree(reporter);
    const seen = new Set<string>();
    const rows = [];
    for (const c of r.computers) {
      if (!subtree.has(c.parentServerId)) throw unknownParent(c.parentServerId);
      const key = c.computerId.toLowerCase();
      if (seen.has(key)) continue; // SPEC: each ComputerId at most once; the first wins
      seen.add(key);
      rows.push({
        computerId: c.computerId,
        parentServerId: c.parentServerId,
        lastSyncAt: at(c.lastSyncTime, shift),
        lastReportAt: at(c.lastReportedStatusTime, shift),
        lastInventoryAt: at(c.lastInventoryTime, shift),
        details: c.details && toDetails(c.details),
      });
    }
    const outcome = await this.deps.store.recordComputers(
      reporter,
      rows,
      this.deps.options.rollupMaxComputers,
      call.nowMs,
    );
    this.logOutcome('computers', reporter, call, outcome, 'rollup_max_computers_per_downstream');
    return encodeRollupComputersResponse(
      outcome.newParent.map((computerId) => ({ computerId, change: 'NewParent' as const })),
    );
  }

  async getOutOfSyncComputers(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeGetOutOfSyncComputersRequest(op, this.limits);
    this.requireDetailed();
    // SPEC: an unknown parentServerId gets an empty list (so the DSS resends nothing it need not).
    if (!(await this.deps.store.isDownstream(r.parentServerId)))
      return encodeGetOutOfSyncComputersResponse([]);
    await this.bind(r.parentServerId, call);
    return encodeGetOutOfSyncComputersResponse(
      await this.deps.store.outOfSync(r.parentServerId, r.lastRollupNumbers),
    );
  }

  async rollupComputerStatus(op: XmlElement, call: UpstreamCall): Promise<string> {
    const r = decodeRollupComputerStatusRequest(op, this.limits);
    this.requireDetailed();
    if (!(await this.deps.store.isDownstream(r.parentServerId))) throw unknownParent(r.parentServerId);
    await this.bind(r.parentServerId, call);
    const shift = skew(r.clientTime, call.nowMs);
    const outcome = await this.deps.store.recordStatus(
      r.parentServerId,
      r.computers.map((c) => ({
        computerId: c.computerId,
        rollupNumber: c.rollupNumber,
        isFullRollup: c.isFullRollup,
        effectiveLastDetectionAt: at(c.effectiveLastDetectionTime, shift),
        states: c.updateStatus.map((u) => ({
          updateId: u.updateId,
          state: u.state,
          statusAt: at(u.lastChangeTime, shift) ?? 0,
        })),
      })),
      call.nowMs,
    );
    this.logOutcome('computer status', r.parentServerId, call, outcome, undefined);
    return encodeRollupComputerStatusResponse(true);
  }

  private requireDetailed(): void {
    if (!this.deps.options.rollupDetailed)
      throw new AppError('PB_ERR_DOWNSTREAM_REFUSED', 'detailed roll-up is off (rollup_detailed = false)', {
        detail: { faultMessage: 'this upstream takes no computer roll-up (DoDetailedRollup is false)' },
      });
  }

  /**
   * The caller must be `reporter`: a registered downstream that passes the admission rules and calls from
   * the address it last authorized from (the fixed cookie proves nothing, the address at least ties the
   * call to the server that synchronized).
   */
  private async bind(reporter: string, call: UpstreamCall): Promise<void> {
    const d = await this.deps.store.downstream(reporter);
    if (d === undefined) throw unknownParent(reporter);
    this.refuseIf(
      this.deps.admission.refusal(reporter, call.ipAddress, call.clientCertificate),
      call,
      reporter,
    );
    if (d.address !== null && call.ipAddress !== undefined && d.address !== call.ipAddress)
      this.refuseIf(
        `it calls from ${call.ipAddress}, but downstream ${reporter} last authorized from ${d.address}`,
        call,
        reporter,
      );
  }

  private refuseIf(reason: string | undefined, call: UpstreamCall, dssId: string, addressOnly = false): void {
    if (reason === undefined) return;
    // GetRollupConfiguration names no server: an id allow-list cannot refuse it (the later calls can).
    if (addressOnly && reason.includes('allowed_downstreams')) return;
    this.deps.logger.warn({ dssId, ip: call.ipAddress, reason }, 'downstream roll-up refused');
    throw new AppError('PB_ERR_DOWNSTREAM_REFUSED', `downstream roll-up refused: ${reason}`, {
      detail: { faultMessage: `this downstream server may not roll up here (${reason})` },
    });
  }

  private logOutcome(
    what: string,
    reporter: string,
    call: UpstreamCall,
    o: { stored: number; overCap: number; ignored: number },
    capKey: string | undefined,
  ): void {
    const fields = { dssId: reporter, ip: call.ipAddress, stored: o.stored, ignored: o.ignored };
    if (o.overCap > 0)
      this.deps.logger.warn(
        { ...fields, dropped: o.overCap },
        `downstream roll-up: ${what} over [upstream_service] ${capKey ?? 'cap'} dropped`,
      );
    else this.deps.logger.info(fields, `downstream roll-up: ${what}`);
  }
}

function isUs(parent: string, serverId: string): boolean {
  return parent === zeroGuid || parent === serverId;
}

function unknownParent(id: string): AppError {
  return new AppError('PB_ERR_ROLLUP_UNKNOWN_PARENT', `roll-up names unknown server ${id}`, {
    detail: { faultMessage: `unknown parent server ${id}` },
  });
}

function skew(clientTime: Date, nowMs: number): number {
  const d = nowMs - clientTime.getTime();
  return Math.abs(d) > skewToleranceMs ? d : 0;
}

function at(d: Date | null, shift: number): number | null {
  return d === null ? null : d.getTime() + shift;
}

function toDetails(d: RollupComputerDetails) {
  const n = <T>(v: T | undefined) => (v === undefined ? null : v);
  return {
    dnsName: n(d.fullDomainName),
    ipAddress: n(d.ipAddress),
    osMajor: n(d.osMajor),
    osMinor: n(d.osMinor),
    osBuild: n(d.osBuild),
    osServicePackMajor: n(d.osServicePackMajor),
    osServicePackMinor: n(d.osServicePackMinor),
    osLocale: n(d.osLocale),
    osDescription: n(d.osDescription),
    computerMake: n(d.computerMake),
    computerModel: n(d.computerModel),
    biosVersion: n(d.biosVersion),
    clientVersion: n(d.clientVersion),
    processorArchitecture: n(d.processorArchitecture),
  };
}
