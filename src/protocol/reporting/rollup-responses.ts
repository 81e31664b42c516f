/**
 * Reporting roll-up answers (docs/protocol/upstream.md §U2, SPEC only): encoders for the upstream role and
 * decoders for Patchbay as a downstream, which reads an upstream's answer as untrusted input too.
 */
import { parseBoolean, parseGuid, parseInt32, readRequired } from '../soap/index.js';
import {
  attributeValue,
  childElements,
  el,
  invalidParameter,
  textEl,
  textOf,
  type XmlElement,
} from '../xml/index.js';
import { reportingNs } from './report-event-batch.js';

const ns = reportingNs;

/** RollupConfiguration, in WSDL order. */
export interface RollupConfiguration {
  readonly doDetailedRollup: boolean;
  /** Changing it makes every DSS resend everything (a new USS to them). */
  readonly rollupResetGuid: string;
  readonly serverId: string;
  readonly downstreamServersMaxBatchSize: number;
  readonly computersMaxBatchSize: number;
  readonly outOfSyncComputersMaxBatchSize: number;
  readonly computerStatusMaxBatchSize: number;
}

export type ComputerChange = 'Deleted' | 'NewParent';
export interface ChangedComputer {
  readonly computerId: string;
  readonly change: ComputerChange;
}

export function encodeGetRollupConfigurationResponse(c: RollupConfiguration): string {
  return el('GetRollupConfigurationResponse', { xmlns: ns }, [
    el('GetRollupConfigurationResult', undefined, [
      textEl('DoDetailedRollup', c.doDetailedRollup ? 'true' : 'false'),
      textEl('RollupResetGuid', c.rollupResetGuid),
      textEl('ServerId', c.serverId),
      textEl('RollupDownstreamServersMaxBatchSize', c.downstreamServersMaxBatchSize),
      textEl('RollupComputersMaxBatchSize', c.computersMaxBatchSize),
      textEl('GetOutOfSyncComputersMaxBatchSize', c.outOfSyncComputersMaxBatchSize),
      textEl('RollupComputerStatusMaxBatchSize', c.computerStatusMaxBatchSize),
    ]),
  ]);
}

const positive = (e: XmlElement, name: string) => {
  const n = readRequired(e, ns, name, name, parseInt32);
  if (n < 1) throw invalidParameter(name, 'must be positive');
  return n;
};

/** The `GetRollupConfigurationResult` element of an upstream's answer. */
export function decodeGetRollupConfigurationResult(r: XmlElement): RollupConfiguration {
  return {
    doDetailedRollup: readRequired(r, ns, 'DoDetailedRollup', 'DoDetailedRollup', parseBoolean),
    rollupResetGuid: readRequired(r, ns, 'RollupResetGuid', 'RollupResetGuid', parseGuid).toLowerCase(),
    serverId: readRequired(r, ns, 'ServerId', 'ServerId', parseGuid).toLowerCase(),
    downstreamServersMaxBatchSize: positive(r, 'RollupDownstreamServersMaxBatchSize'),
    computersMaxBatchSize: positive(r, 'RollupComputersMaxBatchSize'),
    outOfSyncComputersMaxBatchSize: positive(r, 'GetOutOfSyncComputersMaxBatchSize'),
    computerStatusMaxBatchSize: positive(r, 'RollupComputerStatusMaxBatchSize'),
  };
}

/** SPEC: an empty response element. */
export function encodeRollupDownstreamServersResponse(): string {
  return el('RollupDownstreamServersResponse', { xmlns: ns });
}

export function encodeRollupComputersResponse(changed: readonly ChangedComputer[]): string {
  return el('RollupComputersResponse', { xmlns: ns }, [
    el(
      'RollupComputersResult',
      undefined,
      changed.map((c) => el('ChangedComputer', { ComputerId: c.computerId, Change: c.change })),
    ),
  ]);
}

/** At most `max` entries (the number of computers the DSS sent): more is a broken upstream. */
export function decodeRollupComputersResult(r: XmlElement, max: number): ChangedComputer[] {
  const items = childElements(r, ns, 'ChangedComputer');
  if (items.length > max) throw invalidParameter('RollupComputersResult', `more than ${max} items`);
  return items.map((i) => {
    const id = attributeValue(i, 'ComputerId');
    const change = attributeValue(i, 'Change');
    if (id === undefined || id.length > 256) throw invalidParameter('ChangedComputer.ComputerId', 'missing');
    if (change !== 'Deleted' && change !== 'NewParent')
      throw invalidParameter('ChangedComputer.Change', 'not Deleted or NewParent');
    return { computerId: id.trim(), change };
  });
}

export function encodeGetOutOfSyncComputersResponse(ids: readonly string[]): string {
  return el('GetOutOfSyncComputersResponse', { xmlns: ns }, [
    el(
      'GetOutOfSyncComputersResult',
      undefined,
      ids.map((i) => textEl('string', i)),
    ),
  ]);
}

export function decodeGetOutOfSyncComputersResult(r: XmlElement, max: number): string[] {
  const items = childElements(r, ns, 'string');
  if (items.length > max) throw invalidParameter('GetOutOfSyncComputersResult', `more than ${max} items`);
  return items.map((i) => textOf(i).trim().slice(0, 256));
}

export function encodeRollupComputerStatusResponse(accepted: boolean): string {
  return el('RollupComputerStatusResponse', { xmlns: ns }, [
    textEl('RollupComputerStatusResult', accepted ? 'true' : 'false'),
  ]);
}

export function decodeRollupComputerStatusResult(r: XmlElement): boolean {
  return parseBoolean(textOf(r), 'RollupComputerStatusResult');
}
