import type { CookieKeyRing } from '../domain/index.js';

/** One stored cookie key (the storage layer's cookie_keys row). */
export interface StoredCookieKey {
  readonly keyId: number;
  readonly secret: Buffer;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

/** The port the key service needs; `createRepositories(...).cookieKeys` implements it. */
export interface CookieKeyStore {
  list(): Promise<StoredCookieKey[]>;
  create(now?: number): Promise<StoredCookieKey>;
  retire(keyId: number, now?: number): Promise<void>;
  deleteRetiredBefore(before: number): Promise<number>;
}

export interface CookieKeyPolicy {
  /** A new signing key is made when the active one is older than this (default 7 days). */
  readonly rotateAfterMs: number;
  /**
   * A retired key keeps opening cookies this long after its retirement: longer than any cookie it sealed
   * can live (session and auth cookies: 1 h), plus the refresh interval other nodes may lag behind.
   */
  readonly keepRetiredMs: number;
  /** How long a loaded ring is reused before the table is read again (multi-node rotation lag). */
  readonly refreshMs: number;
}

export const defaultCookieKeyPolicy: CookieKeyPolicy = Object.freeze({
  rotateAfterMs: 7 * 24 * 3600_000,
  keepRetiredMs: 3 * 3600_000,
  refreshMs: 60_000,
});

/**
 * The cookie key ring, backed by the database so restarts and other nodes accept existing cookies
 * (docs/protocol/client.md §1.5), rotated on a schedule: the newest unretired key seals; older keys are retired at
 * rotation and still open cookies until `keepRetiredMs` has passed, then they are deleted.
 */
export class CookieKeyService {
  #ring: CookieKeyRing | undefined;
  #loadedAt = 0;
  #loading: Promise<CookieKeyRing> | undefined;

  constructor(
    private readonly store: CookieKeyStore,
    private readonly policy: CookieKeyPolicy = defaultCookieKeyPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The current ring (cached for `refreshMs`; concurrent callers share one reload). */
  async ring(): Promise<CookieKeyRing> {
    const now = this.clock();
    if (this.#ring !== undefined && now - this.#loadedAt < this.policy.refreshMs) return this.#ring;
    this.#loading ??= this.reload(now).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  /** Forces a rotation now (CLI / tests): a new active key; the old ones stay valid for `keepRetiredMs`. */
  async rotate(): Promise<CookieKeyRing> {
    const now = this.clock();
    await this.store.create(now);
    return this.reload(now);
  }

  private async reload(now: number): Promise<CookieKeyRing> {
    let keys = await this.store.list();
    const unretired = keys.filter((k) => k.retiredAt === null).sort((a, b) => b.keyId - a.keyId);
    let active = unretired[0];
    if (active === undefined || now - active.createdAt >= this.policy.rotateAfterMs) {
      active = await this.store.create(now);
      keys = [...keys, active];
    }
    // Older unretired keys (a rotation, or two nodes creating keys at once) are retired, not dropped.
    for (const k of keys)
      if (k.retiredAt === null && k.keyId !== active.keyId) await this.store.retire(k.keyId, now);
    await this.store.deleteRetiredBefore(now - this.policy.keepRetiredMs);
    const map = new Map<number, Buffer>();
    for (const k of keys) {
      const retiredAt = k.keyId === active.keyId ? null : (k.retiredAt ?? now);
      if (retiredAt === null || now - retiredAt < this.policy.keepRetiredMs) map.set(k.keyId, k.secret);
    }
    this.#ring = Object.freeze({ activeKeyId: active.keyId, keys: map });
    this.#loadedAt = now;
    return this.#ring;
  }
}
