export { cookieKindCode, cookieLimits, type CookieClaims, type CookieKind } from './cookie-claims.js';
export { cookieKeyBytes, type CookieKeyRing } from './cookie-key-ring.js';
export {
  decodeCookie,
  decodeCookieBase64,
  encodeCookie,
  encodeCookieBase64,
  maxCookieBase64Length,
  maxCookieBytes,
  minCookieBytes,
} from './cookie-codec.js';
