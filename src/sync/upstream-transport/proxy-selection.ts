import { AppError } from '../../errors.js';
import { isLoopbackHost, parseNoProxy, type NoProxyRules } from './no-proxy.js';

/**
 * How the transport reaches the upstream:
 * - `none`: direct connections.
 * - `explicit`: every request goes through `url` (loopback targets too: an operator who configures a proxy
 *   means it), except hosts matched by the optional `noProxy` list (same syntax as `NO_PROXY`).
 * - `env`: the standard variables, lower case first as curl does (`http_proxy`/`HTTP_PROXY` for http targets,
 *   `https_proxy`/`HTTPS_PROXY` for https targets, `all_proxy`/`ALL_PROXY` as fallback, `no_proxy`/`NO_PROXY`
 *   for exclusions). Loopback targets bypass an environment proxy unless `bypassLoopback` is false (Go's rule:
 *   an inherited proxy variable must not capture local services).
 * Credentials come from the proxy URL's userinfo or from `username`/`password`; they are never logged.
 */
export type ProxyOptions =
  | { mode: 'none' }
  | { mode: 'explicit'; url: string; username?: string; password?: string; noProxy?: string }
  | { mode: 'env'; env?: Readonly<Record<string, string | undefined>>; bypassLoopback?: boolean };

export interface ProxyRoute {
  /** Proxy URL without credentials: safe to log and to use as a cache key with the user name. */
  url: string;
  username: string | undefined;
  password: string | undefined;
}

export interface ProxySelector {
  /** The proxy to use for this target, or undefined for a direct connection. */
  select(target: URL): ProxyRoute | undefined;
}

export function createProxySelector(options: ProxyOptions): ProxySelector {
  switch (options.mode) {
    case 'none':
      return { select: () => undefined };
    case 'explicit': {
      const route = parseProxyUrl(options.url, options.username, options.password);
      const rules = parseNoProxy(options.noProxy);
      return { select: (target) => (rules.matches(target.hostname, portOf(target)) ? undefined : route) };
    }
    case 'env': {
      const env = options.env ?? process.env;
      const pick = (...names: string[]): string | undefined => {
        for (const n of names) {
          const v = env[n];
          if (v !== undefined && v.trim() !== '') return v.trim();
        }
        return undefined;
      };
      const httpProxy = pick('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY');
      const httpsProxy = pick('https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY');
      const routes = {
        http: httpProxy === undefined ? undefined : parseProxyUrl(httpProxy, undefined, undefined),
        https: httpsProxy === undefined ? undefined : parseProxyUrl(httpsProxy, undefined, undefined),
      };
      const rules: NoProxyRules = parseNoProxy(pick('no_proxy', 'NO_PROXY'));
      const bypassLoopback = options.bypassLoopback ?? true;
      return {
        select(target) {
          const route = target.protocol === 'https:' ? routes.https : routes.http;
          if (route === undefined) return undefined;
          if (bypassLoopback && isLoopbackHost(target.hostname)) return undefined;
          if (rules.matches(target.hostname, portOf(target))) return undefined;
          return route;
        },
      };
    }
  }
}

function portOf(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}

/** Accepts `host:port` without a scheme (common in proxy variables) as http. */
export function parseProxyUrl(
  raw: string,
  username: string | undefined,
  password: string | undefined,
): ProxyRoute {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch (e) {
    // The raw value may hold credentials: do not echo it.
    throw new AppError('PB_ERR_CONFIG_INVALID', 'proxy URL is not a valid URL', { cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AppError(
      'PB_ERR_CONFIG_INVALID',
      `proxy URL scheme ${u.protocol} is not supported (http: or https:)`,
    );
  }
  const user = username ?? (u.username === '' ? undefined : decodeURIComponent(u.username));
  const pass = password ?? (u.password === '' ? undefined : decodeURIComponent(u.password));
  return { url: `${u.protocol}//${u.host}`, username: user, password: pass };
}

/** A URL with userinfo, query and fragment removed, for logs and error details. */
export function redactUrl(raw: string | URL): string {
  try {
    const u = typeof raw === 'string' ? new URL(raw) : raw;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
