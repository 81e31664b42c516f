import type { ComputerId } from '../../domain/index.js';
import { parseGuid, readOptional, readRequired } from '../soap/index.js';
import { childElements, el, invalidParameter, textEl, textOf, type XmlElement } from '../xml/index.js';
import { authorizationCookieOrder, ordered } from './element-order.js';
import { defaultClientWsLimits, type ClientWsLimits } from './limits.js';
import { simpleAuthNs } from './namespaces.js';
import { expectOperation, trimmedStringParser } from './wire.js';

/**
 * SimpleAuth GetAuthorizationCookie: the client names itself (SusClientId) and, with client-side targeting,
 * the computer group(s) it wants to be in.
 */
export interface GetAuthorizationCookieRequest {
  readonly clientId: ComputerId;
  /**
   * Requested target groups, in order, without duplicates (case-insensitive), possibly empty.
   * Splitting rule (the multi-group wire format is UNVERIFIED, docs/protocol/client.md §1.4): the Windows "TargetGroup"
   * policy takes several names separated by `;`, so every `targetGroupName` element's text is split on `;`,
   * each name trimmed, empty names dropped. Repeated `targetGroupName` elements are accepted and concatenated.
   * At most `maxTargetGroups` names of at most `maxNameString` characters each, else InvalidParameters
   * `targetGroupName`.
   */
  readonly targetGroupNames: readonly string[];
  readonly dnsName: string;
}

export interface AuthorizationCookieOut {
  /** REAL: `SimpleTargeting` (note the wire name `PlugInId`, lower-case d). */
  readonly plugInId: string;
  /** Opaque bytes minted by the cookie codec (WS2025: 496 bytes). */
  readonly cookieData: Buffer;
}

export function decodeGetAuthorizationCookieRequest(
  op: XmlElement,
  limits: ClientWsLimits = defaultClientWsLimits,
): GetAuthorizationCookieRequest {
  expectOperation(op, simpleAuthNs, 'GetAuthorizationCookie');
  const clientId = readRequired(op, simpleAuthNs, 'clientId', 'clientId', parseGuid);
  const groupEls = childElements(op, simpleAuthNs, 'targetGroupName');
  const path = 'targetGroupName';
  if (groupEls.length > limits.maxTargetGroups)
    throw invalidParameter(path, 'too many targetGroupName elements');
  const names: string[] = [];
  const seen = new Set<string>();
  for (const g of groupEls) {
    const text = textOf(g);
    if (text.length > limits.maxTargetGroups * (limits.maxNameString + 1))
      throw invalidParameter(path, 'targetGroupName too long');
    for (const raw of text.split(';')) {
      const name = raw.trim();
      if (name === '') continue;
      if (name.length > limits.maxNameString)
        throw invalidParameter(path, `a group name is longer than ${limits.maxNameString}`);
      const key = name.toLowerCase();
      if (seen.has(key)) continue;
      if (names.length === limits.maxTargetGroups)
        throw invalidParameter(path, `more than ${limits.maxTargetGroups} groups`);
      seen.add(key);
      names.push(name);
    }
  }
  return {
    clientId,
    targetGroupNames: names,
    dnsName:
      readOptional(op, simpleAuthNs, 'dnsName', 'dnsName', trimmedStringParser(limits.maxNameString)) ?? '',
  };
}

export function encodeGetAuthorizationCookieResponse(r: AuthorizationCookieOut): string {
  const result = el(
    'GetAuthorizationCookieResult',
    undefined,
    ordered(authorizationCookieOrder, {
      PlugInId: textEl('PlugInId', r.plugInId),
      CookieData: textEl('CookieData', r.cookieData.toString('base64')),
    }),
  );
  return el('GetAuthorizationCookieResponse', { xmlns: simpleAuthNs }, [result]);
}
