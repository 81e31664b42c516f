import { randomBytes, randomUUID } from 'node:crypto';
import type { CookieClaims, CookieKeyRing, CookieKind } from '../../../src/domain/cookies/index.js';

export function makeRing(activeKeyId = 7, otherIds: number[] = [3, 0xffffffff]): CookieKeyRing {
  const keys = new Map<number, Buffer>();
  for (const id of [activeKeyId, ...otherIds]) keys.set(id, randomBytes(32));
  return { activeKeyId, keys };
}

export const issuedAt = Date.UTC(2026, 9, 4, 15, 0, 0);

export function makeClaims(kind: CookieKind, overrides: Partial<CookieClaims> = {}): CookieClaims {
  return {
    kind,
    clientId: randomUUID(),
    serverInstanceId: randomUUID(),
    issuedAtMs: issuedAt,
    expiresAtMs: issuedAt + 3600_000,
    configGeneration: 42,
    syncAnchor: 9_007_199_254_740_991,
    groupIds: [randomUUID(), 'a0a08746-4dbe-4a37-9adf-9e7652c0b421'],
    targetGroupNames: kind === 'auth' ? ['Pilot', 'Grüne Gruppe ✓'] : [],
    ...overrides,
  };
}
