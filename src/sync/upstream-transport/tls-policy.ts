import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { AppError } from '../../errors.js';

/**
 * Upstream TLS policy.
 * - `verify` (default true): chain and host name checks against Node's CA store plus `caFile`/`ca`.
 * - `caFile` / `ca`: extra trusted CAs (PEM). They are added to, not replacing, the public roots, so the
 *   default Microsoft Update upstream keeps working when an internal CA is configured for a WSUS upstream.
 * - `pins`: accepted fingerprints; the connection is refused unless some certificate of the presented chain
 *   (leaf, intermediate or root) matches one of them. Two spellings, both SHA-256:
 *     `sha256/<base64>`  of the certificate's SubjectPublicKeyInfo (DER), as curl's --pinnedpubkey and HPKP;
 *                        survives certificate renewal with the same key.
 *     `AB:CD:…` (64 hex digits, colons optional) of the whole DER certificate, as printed by
 *                        `openssl x509 -noout -fingerprint -sha256`.
 *   Pins are checked on every new connection, after the handshake and independently of `verify`, so
 *   `verify=false` plus a pin means "trust exactly this certificate" (a self-signed WSUS upstream).
 */
export interface UpstreamTlsOptions {
  verify?: boolean;
  caFile?: string;
  ca?: string;
  pins?: readonly string[];
  /** A PEM client certificate and key presented to the upstream (`[upstream] client_certificate_file`). */
  clientCertificateFile?: string;
  clientKeyFile?: string;
}

export interface Pin {
  kind: 'spki' | 'cert';
  digest: Buffer;
  /** The pin as configured, for error messages (pins are public data). */
  text: string;
}

export function parsePins(pins: readonly string[] | undefined): Pin[] {
  return (pins ?? []).map((text) => {
    const t = text.trim();
    const spki = /^sha256\/([A-Za-z0-9+/]{43}=)$/.exec(t);
    if (spki) return { kind: 'spki' as const, digest: Buffer.from(spki[1] ?? '', 'base64'), text: t };
    const hex = t.replace(/:/g, '');
    if (/^[0-9a-fA-F]{64}$/.test(hex))
      return { kind: 'cert' as const, digest: Buffer.from(hex, 'hex'), text: t };
    throw new AppError(
      'PB_ERR_CONFIG_INVALID',
      `TLS pin "${t}" is neither sha256/<base64 SPKI digest> nor a 64-hex-digit SHA-256 certificate fingerprint`,
    );
  });
}

/** Node connection options for the upstream (not the proxy) leg. */
export function buildTlsConnectOptions(options: UpstreamTlsOptions | undefined): {
  rejectUnauthorized: boolean;
  ca?: string[];
  cert?: string;
  key?: string;
} {
  const verify = options?.verify ?? true;
  const client = readClientCertificate(options);
  const extra: string[] = [];
  if (options?.caFile !== undefined) {
    try {
      extra.push(readFileSync(options.caFile, 'utf8'));
    } catch (e) {
      throw new AppError('PB_ERR_CONFIG_INVALID', `cannot read the upstream CA file ${options.caFile}`, {
        cause: e,
      });
    }
  }
  if (options?.ca !== undefined) extra.push(options.ca);
  if (extra.length === 0) return { rejectUnauthorized: verify, ...client };
  // Passing `ca` replaces Node's default store; keep the public roots alongside the extra CAs.
  return { rejectUnauthorized: verify, ca: [...rootCertificates, ...extra], ...client };
}

/** The client certificate and key, read once when the transport is built (a bad file fails the start). */
function readClientCertificate(options: UpstreamTlsOptions | undefined): { cert?: string; key?: string } {
  const certFile = options?.clientCertificateFile ?? '';
  const keyFile = options?.clientKeyFile ?? '';
  if (certFile === '' && keyFile === '') return {};
  if (certFile === '' || keyFile === '')
    throw new AppError(
      'PB_ERR_CONFIG_INVALID',
      'a client certificate needs both a certificate and a key file',
    );
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new AppError('PB_ERR_CONFIG_INVALID', `cannot read the upstream client ${what} ${file}`, {
        cause: e,
      });
    }
  };
  return { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
}

/** Whether any certificate of the (detailed) peer chain matches a pin. */
export function chainMatchesPins(leaf: PeerCertificate, pins: readonly Pin[]): boolean {
  const seen = new Set<PeerCertificate>();
  let cert: PeerCertificate | undefined = leaf;
  // Node links a self-signed root to itself; the set stops the walk there. Chains are short; cap anyway.
  for (let depth = 0; cert && !seen.has(cert) && depth < 16; depth++) {
    seen.add(cert);
    // Not `cert.pubkey`: for EC keys Node gives the bare curve point there, not the SubjectPublicKeyInfo.
    const spki = cert.raw ? spkiDigest(cert.raw) : undefined;
    const der = cert.raw ? createHash('sha256').update(cert.raw).digest() : undefined;
    for (const pin of pins) {
      const actual = pin.kind === 'spki' ? spki : der;
      if (actual && actual.equals(pin.digest)) return true;
    }
    cert = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return false;
}

function spkiDigest(der: Buffer): Buffer | undefined {
  try {
    const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest();
  } catch {
    return undefined;
  }
}

/**
 * Wraps an undici connector so that every new TLS connection to the upstream is checked against the pins
 * before any request byte is written. Non-TLS sockets (plain http upstreams, the hop to an http proxy) pass.
 */
export function withPinCheck(
  connect: buildConnector.connector,
  pins: readonly Pin[],
): buildConnector.connector {
  if (pins.length === 0) return connect;
  return (opts, callback) => {
    connect(opts, (err, socket) => {
      if (err !== null) {
        callback(err, null);
        return;
      }
      const tlsSocket = socket as TLSSocket;
      if (opts.protocol !== 'https:' || typeof tlsSocket.getPeerCertificate !== 'function') {
        callback(null, socket);
        return;
      }
      const leaf = tlsSocket.getPeerCertificate(true);
      if (chainMatchesPins(leaf, pins)) {
        callback(null, socket);
        return;
      }
      tlsSocket.destroy();
      callback(
        new AppError(
          'PB_ERR_UPSTREAM_TLS',
          `upstream certificate of ${opts.hostname} matches no configured pin`,
          {
            detail: { reason: 'pin-mismatch', host: opts.hostname, presentedSha256: leaf.fingerprint256 },
          },
        ),
        null,
      );
    });
  };
}
