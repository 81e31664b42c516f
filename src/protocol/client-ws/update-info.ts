import type { RevisionId } from '../../domain/index.js';
import { escapeXml, textEl } from '../xml/index.js';
import { concatElement } from './concat-element.js';
import { deploymentOrder, ordered, updateInfoOrder } from './element-order.js';
import { formatDate, formatDateTime, type WireTime } from './wire-time.js';

/** `Deployment/Action` (WSDL enum). */
export type DeploymentAction =
  'OptionalInstall' | 'Install' | 'Uninstall' | 'PreDeploymentCheck' | 'Block' | 'Evaluate' | 'Bundle';

export const deploymentActions: readonly DeploymentAction[] = Object.freeze([
  'OptionalInstall',
  'Install',
  'Uninstall',
  'PreDeploymentCheck',
  'Block',
  'Evaluate',
  'Bundle',
]);

/**
 * What the client is told to do with a revision. Seven fields are always written (REAL: on every one of
 * 1,950+ UpdateInfo; a missing Deployment fails the client with 0x80070057, docs/protocol/security.md §5.1 item 3);
 * `deadline` only when an approval has one (SPEC, never observed).
 */
export interface Deployment {
  /** Deployment id: its own id space, separate from revision ids. */
  readonly id: number;
  readonly action: DeploymentAction;
  readonly deadline?: WireTime | undefined;
  readonly isAssigned: boolean;
  /** Written date-only (`2026-10-04`). */
  readonly lastChangeTime: WireTime;
  /** WS2025 writes 0 for these three flags on every deployment. */
  readonly autoSelect: number;
  readonly autoDownload: number;
  readonly supersedenceBehavior: number;
}

/** One revision handed to the client in SyncUpdates (NewUpdates / ChangedUpdates). */
export interface UpdateInfo {
  readonly revisionId: RevisionId;
  readonly deployment: Deployment;
  /** False iff the revision's update is the target of some prerequisite in the served catalog (docs/protocol/client.md §1.6). */
  readonly isLeaf: boolean;
  /**
   * The Core fragment (already derived XML text); written escaped as character data, never CDATA. A server
   * sending the same fragments page after page passes them pre-escaped (`escapeCoreXml`, cached): escaping
   * touches every byte and dominated encoding.
   */
  readonly coreXml: string | EscapedCoreXml;
}

/** A Core fragment already escaped for `<Xml>` by `escapeCoreXml`, written as is. */
export interface EscapedCoreXml {
  readonly escaped: string;
}

/** The escaping `encodeUpdateInfo` applies to a plain Core fragment, done once for a cache. */
export function escapeCoreXml(xml: string): EscapedCoreXml {
  return { escaped: escapeXml(xml) };
}

export function encodeDeployment(d: Deployment): string {
  return concatElement(
    'Deployment',
    ordered(deploymentOrder, {
      ID: textEl('ID', d.id),
      Action: textEl('Action', d.action),
      Deadline: d.deadline === undefined ? undefined : textEl('Deadline', formatDateTime(d.deadline)),
      IsAssigned: textEl('IsAssigned', d.isAssigned),
      LastChangeTime: textEl('LastChangeTime', formatDate(d.lastChangeTime)),
      AutoSelect: textEl('AutoSelect', d.autoSelect),
      AutoDownload: textEl('AutoDownload', d.autoDownload),
      SupersedenceBehavior: textEl('SupersedenceBehavior', d.supersedenceBehavior),
    }),
  );
}

export function encodeUpdateInfo(u: UpdateInfo): string {
  return concatElement(
    'UpdateInfo',
    ordered(updateInfoOrder, {
      ID: textEl('ID', u.revisionId),
      Deployment: encodeDeployment(u.deployment),
      IsLeaf: textEl('IsLeaf', u.isLeaf),
      // Built by hand rather than textEl: fragments reach tens of MB and this avoids a String() copy.
      Xml: `<Xml>${typeof u.coreXml === 'string' ? escapeXml(u.coreXml) : u.coreXml.escaped}</Xml>`,
    }),
  );
}
