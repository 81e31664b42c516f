/**
 * The keys cookies are sealed with. The storage layer keeps them in a database table so a restart does
 * not invalidate every client's cookie (docs/protocol/client.md §1.5); rotation adds a key and makes it active while
 * older keys stay for decoding until the cookies they sealed have expired.
 */
export interface CookieKeyRing {
  /** The key id new cookies are sealed with (u32, written in the clear and authenticated). */
  readonly activeKeyId: number;
  /** Every key that may still open a cookie: id -> 32-byte AES-256 key. */
  readonly keys: ReadonlyMap<number, Buffer>;
}

export const cookieKeyBytes = 32;
