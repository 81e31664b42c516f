import type { GroupId } from '../ids.js';

/**
 * Which protocol token a cookie is: MS-WUSP auth (`CookieData`), MS-WUSP session (`EncryptedData`), and the
 * MS-WSUSSS pair a downstream server holds: `dss` (its DssAuth `CookieData`) and `dss-session` (its ServerSync
 * `EncryptedData`).
 */
export type CookieKind = 'auth' | 'session' | 'dss' | 'dss-session';

/** Wire values of the kind byte (part of the authenticated header: a cookie of one kind never passes as another). */
export const cookieKindCode: Readonly<Record<CookieKind, number>> = {
  auth: 1,
  session: 2,
  dss: 3,
  'dss-session': 4,
};

/** What a cookie asserts. Opaque to clients; only this server mints and reads it (docs/protocol/client.md §1.5, docs/protocol/security.md §5.2). */
export interface CookieClaims {
  readonly kind: CookieKind;
  /** The client's SusClientId, or the downstream server's id for DSS cookies (lower-case GUID). */
  readonly clientId: string;
  /** This server's identity; a change means `ServerChanged` for the client (checked by the caller). */
  readonly serverInstanceId: string;
  readonly issuedAtMs: number;
  /** Fixed at issue time; never slid (docs/protocol/client.md §1.5). */
  readonly expiresAtMs: number;
  /** The configuration generation the client last saw (`ConfigChanged` when it differs). */
  readonly configGeneration: number;
  /** Highest deployment change sequence delivered to this client (drives `ChangedUpdates`). */
  readonly syncAnchor: number;
  /** Computer groups resolved for the client (at most `cookieLimits.maxGroups`). */
  readonly groupIds: readonly GroupId[];
  /** Auth cookies only: the target group names the client asked for (client-side targeting). */
  readonly targetGroupNames: readonly string[];
}

export const cookieLimits = {
  maxGroups: 32,
  maxTargetGroupNames: 16,
  /** UTF-8 bytes per target group name. */
  maxTargetGroupNameBytes: 256,
} as const;
