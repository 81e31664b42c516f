import type { Logger } from 'pino';
import type { Config } from '../../config/index.js';
import { connectAddressCheck } from './address-class.js';
import { transportDefaults, type UpstreamTransportOptions } from './options.js';

/**
 * Maps the `[upstream]` config section onto transport options.
 * - The config loader already resolved the proxy (configured `proxy_url`, else HTTPS_PROXY/HTTP_PROXY for the
 *   upstream host) and moved any URL credentials into `proxyUsername`/`proxyPassword`. The transport uses that
 *   proxy for every host it reaches (the ServerSync upstream and content hosts such as
 *   download.windowsupdate.com) except those matched by NO_PROXY, which is taken from `env` because content
 *   hosts are only known at run time.
 * - `pinned_sha256` holds certificate (DER) fingerprints; any certificate of the chain may match.
 * - `request_timeout_seconds` ("no progress for this long") bounds both the wait for response headers and the
 *   silence between body chunks, and is the window of the minimum body rate when shorter than its default;
 *   `retries` counts retries after the first attempt.
 */
export function transportOptionsFromConfig(
  config: Config,
  extras: { logger?: Logger; env?: Readonly<Record<string, string | undefined>> } = {},
): UpstreamTransportOptions {
  const u = config.upstream;
  const env = extras.env ?? process.env;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  const noProgressMs = u.requestTimeoutSeconds * 1000;
  return {
    proxy:
      u.proxyUrl === ''
        ? { mode: 'none' }
        : {
            mode: 'explicit',
            url: u.proxyUrl,
            ...(u.proxyUsername === '' ? {} : { username: u.proxyUsername, password: u.proxyPassword }),
            ...(noProxy === undefined ? {} : { noProxy }),
          },
    tls: {
      verify: u.tlsVerify,
      pins: [...u.pinnedSha256],
      ...(u.clientCertificateFile === ''
        ? {}
        : { clientCertificateFile: u.clientCertificateFile, clientKeyFile: u.clientKeyFile }),
    },
    timeouts: {
      connectMs: u.connectTimeoutSeconds * 1000,
      headersMs: noProgressMs,
      bodyIdleMs: noProgressMs,
      // A drip of a byte now and then is progress to an idle timer but not to an operator: less than the
      // minimum rate within the no-progress time counts as no progress too.
      minRate: {
        bytes: transportDefaults.timeouts.minRate.bytes,
        windowMs: Math.min(transportDefaults.timeouts.minRate.windowMs, noProgressMs),
      },
    },
    retry: { maxAttempts: u.retries + 1 },
    acceptXpress: u.xpress,
    // Content URLs and redirects are checked before each request (contentUrlGuard); this holds the same
    // address rule when the socket opens, against a name that resolves elsewhere by then.
    connectCheck: connectAddressCheck(u.url),
    ...(extras.logger ? { logger: extras.logger } : {}),
  };
}
