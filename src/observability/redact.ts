/**
 * Secret scrubbing for log records. Redaction is by key name at any depth (not by fixed paths), because
 * secrets arrive in many shapes: request headers, decoded SOAP cookies, config objects, upstream errors.
 * The walk is bounded (depth, keys) and copies only the branches it changes, so ordinary records cost
 * little.
 */
export const redactedText = '[redacted]';

/**
 * Key names whose values are never logged (compared lower-case, without `-` / `_`). Covers HTTP headers
 * (authorization, cookie, set-cookie, proxy-authorization), WSUS cookies (EncryptedData, CookieData, the
 * domain `sessionCookie`), tokens, passwords and proxy credentials.
 */
const secretKeys = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'cookies',
  'encrypteddata',
  'cookiedata',
  'sessioncookie',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'apikey',
  'xapikey',
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'passphrase',
  'proxypassword',
  'proxycredentials',
  'credentials',
  'privatekey',
]);

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return secretKeys.has(k) || k.endsWith('password') || k.endsWith('token') || k.endsWith('secret');
}

const urlCredentials = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** `http://user:pass@host` -> `http://user:[redacted]@host`. */
export function redactUrlsInText(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(urlCredentials, `$1${redactedText}@`);
}

const maxDepth = 8;
const maxKeys = 2000;

/** Returns `value` with secrets replaced; the input is never mutated. */
export function redactSecrets<T>(value: T): T {
  const budget = { keys: maxKeys };
  return scrub(value, 0, budget, new WeakSet()) as T;
}

function scrub(value: unknown, depth: number, budget: { keys: number }, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactUrlsInText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth || budget.keys <= 0 || seen.has(value)) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const arr = value as unknown[];
    let out: unknown[] | undefined;
    for (let i = 0; i < arr.length && budget.keys > 0; i++) {
      budget.keys--;
      const v = arr[i];
      const s = scrub(v, depth + 1, budget, seen);
      if (s !== v) (out ??= [...arr])[i] = s;
    }
    return out ?? arr;
  }
  // Errors keep their non-enumerable message/stack; pino's serializer reads them, so copy them explicitly.
  const isError = value instanceof Error;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (budget.keys-- <= 0) break;
    const s =
      isSecretKey(k) && v !== undefined && v !== null && v !== ''
        ? redactedText
        : scrub(v, depth + 1, budget, seen);
    if (s !== v) {
      out ??= isError ? errorCopy(value) : { ...(value as Record<string, unknown>) };
      out[k] = s;
    }
  }
  if (isError) {
    const msg = redactUrlsInText(value.message);
    const stack = value.stack === undefined ? undefined : redactUrlsInText(value.stack);
    if (msg !== value.message || stack !== value.stack) {
      out ??= errorCopy(value);
      out.message = msg;
      out.stack = stack;
    }
  }
  return out ?? value;
}

function errorCopy(e: Error): Record<string, unknown> {
  const copy = Object.create(Object.getPrototypeOf(e) as object) as Record<string, unknown>;
  Object.assign(copy, e);
  Object.defineProperty(copy, 'message', { value: e.message, enumerable: false, writable: true });
  Object.defineProperty(copy, 'stack', { value: e.stack, enumerable: false, writable: true });
  Object.defineProperty(copy, 'name', { value: e.name, enumerable: false, writable: true });
  if ('cause' in e)
    Object.defineProperty(copy, 'cause', { value: e.cause, enumerable: false, writable: true });
  return copy;
}
