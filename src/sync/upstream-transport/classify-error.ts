import { AppError, isAppError } from '../../errors.js';

/**
 * Turns whatever undici, node:net or node:tls threw into a typed AppError, and says whether the failure is
 * safe to retry and whether it counts against the upstream's availability (circuit breaker).
 */
export interface ClassifiedError {
  error: AppError;
  retryable: boolean;
  /** Counts as "the upstream is down" for the circuit breaker. */
  availability: boolean;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Connect failures that retrying within one call does not fix: nothing listens on the port, or the name does
 * not exist. Retrying them only delayed the report by ~10 s; the next scheduled sync tries again.
 */
const DEFINITE_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** What failed, in words an operator understands (the code stays in the message for searching). */
const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'connection reset by the peer',
  ENOTFOUND: 'no such host (DNS lookup failed)',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

const PHASE_WORDS: Record<string, string> = {
  connect: 'connecting timed out',
  headers: 'no response headers in time',
  'body-idle': 'the response body stalled',
};

/** `host:port` of a URL for messages; the URL itself when it does not parse. */
function hostPortOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return url;
  }
}

const TIMEOUT_PHASES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body-idle',
};

function codeOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = e.code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}

function isTlsCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.includes('CERT') ||
    code.includes('SELF_SIGNED') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT' ||
    code === 'HOSTNAME_MISMATCH'
  );
}

export function classifyError(e: unknown, url: string): ClassifiedError {
  if (isAppError(e)) {
    switch (e.code) {
      case 'PB_ERR_UPSTREAM_TIMEOUT':
        return { error: e, retryable: true, availability: true };
      case 'PB_ERR_UPSTREAM_CONNECT':
        return {
          error: e,
          retryable: !DEFINITE_CONNECT_CODES.has(String(e.detail?.reason)),
          availability: true,
        };
      default:
        return { error: e, retryable: false, availability: false };
    }
  }
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  const cause = (e as { cause?: unknown } | null)?.cause;
  const causeCode = codeOf(cause);

  const phase = code === undefined ? undefined : TIMEOUT_PHASES[code];
  if (phase !== undefined) {
    return {
      error: new AppError(
        'PB_ERR_UPSTREAM_TIMEOUT',
        `upstream host ${hostPortOf(url)}: ${PHASE_WORDS[phase] ?? `${phase} timeout`} (${url})`,
        { cause: e, detail: { url, host: hostPortOf(url), phase } },
      ),
      retryable: true,
      availability: true,
    };
  }
  // undici wraps a TLS failure on the tunnelled leg (through a proxy) in UND_ERR_PRX_TLS.
  if (isTlsCode(code) || code === 'UND_ERR_PRX_TLS' || isTlsCode(causeCode)) {
    return {
      error: new AppError('PB_ERR_UPSTREAM_TLS', `upstream TLS verification failed for ${url}: ${message}`, {
        cause: e,
        detail: { url, reason: causeCode ?? code ?? 'tls' },
      }),
      retryable: false,
      availability: false,
    };
  }
  // Proxy answers: CONNECT refused (tunnel) or 407 on a forwarded request.
  const proxyStatus =
    /Proxy response \((\d{3})\)/.exec(message)?.[1] ?? (/\(407\)/.test(message) ? '407' : undefined);
  if (proxyStatus !== undefined) {
    const status = Number(proxyStatus);
    const authProblem = status === 407;
    return {
      error: new AppError(
        'PB_ERR_UPSTREAM_PROXY',
        `proxy refused the request to ${url} with HTTP ${status}`,
        {
          cause: e,
          detail: { url, proxyStatus: status },
        },
      ),
      // A 407 will not fix itself; a 502/503/504 from the proxy means it could not reach the upstream.
      retryable: !authProblem,
      availability: !authProblem,
    };
  }
  // undici's HTTP parser (llhttp) refused the answer: garbage status line or headers, a bad Content-Length
  // or chunk framing. The upstream is up but broken; saying "connection failed" would send the admin to
  // the network.
  if (code?.startsWith('HPE_') === true || (e instanceof Error && e.name === 'HTTPParserError')) {
    return {
      error: new AppError(
        'PB_ERR_UPSTREAM_PROTOCOL',
        `upstream answer from ${url} is not valid HTTP: ${message}`,
        {
          cause: e,
          detail: { url, reason: code ?? 'http-parser' },
        },
      ),
      retryable: false,
      availability: false,
    };
  }
  if (
    (code !== undefined && CONNECT_CODES.has(code)) ||
    (causeCode !== undefined && CONNECT_CODES.has(causeCode))
  ) {
    const reason = code !== undefined && CONNECT_CODES.has(code) ? code : (causeCode ?? 'unknown');
    return {
      error: new AppError(
        'PB_ERR_UPSTREAM_CONNECT',
        `cannot reach upstream host ${hostPortOf(url)}: ${CONNECT_WORDS[reason] ?? 'connection failed'} (${reason}; ${url})`,
        { cause: e, detail: { url, host: hostPortOf(url), reason } },
      ),
      retryable: !DEFINITE_CONNECT_CODES.has(reason),
      availability: true,
    };
  }
  return {
    error: new AppError('PB_ERR_UPSTREAM_CONNECT', `upstream request to ${url} failed: ${message}`, {
      cause: e,
      detail: { url, reason: code ?? 'unknown' },
    }),
    retryable: false,
    availability: false,
  };
}
