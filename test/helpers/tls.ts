/**
 * A throwaway PKI for TLS tests, made with the `openssl` CLI: a CA and a leaf certificate for localhost /
 * 127.0.0.1 signed by it. The pins are computed by openssl too, so the transport's own pin arithmetic is checked
 * against an independent implementation rather than against itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** `sha256/<base64>` of the leaf's SubjectPublicKeyInfo. */
  leafSpkiPin: string;
  /** `sha256/<base64>` of the CA's SubjectPublicKeyInfo. */
  caSpkiPin: string;
  /** `AB:CD:…` SHA-256 of the leaf certificate (DER), as `openssl x509 -fingerprint -sha256` prints it. */
  leafCertFingerprint: string;
  /** A valid-looking pin of an unrelated key. */
  otherSpkiPin: string;
  cleanup(): void;
}

function openssl(args: string[], input?: Buffer | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function spkiPin(certOrKeyPem: string, isCert: boolean): string {
  const pubPem = isCert
    ? openssl(['x509', '-pubkey', '-noout'], certOrKeyPem)
    : openssl(['pkey', '-pubout'], certOrKeyPem);
  const der = openssl(['pkey', '-pubin', '-outform', 'DER'], pubPem);
  const digest = openssl(['dgst', '-sha256', '-binary'], der);
  return `sha256/${openssl(['base64', '-A'], digest).toString('ascii').trim()}`;
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'pb-pki-'));
  const p = (n: string): string => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Patchbay Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(['req', ...ec, '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=localhost']);
  writeFileSync(
    p('leaf.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    p('leaf.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    p('leaf.ext'),
  ]);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p('other.key')]);

  const caPem = readFileSync(p('ca.pem'), 'utf8');
  const certPem = readFileSync(p('leaf.pem'), 'utf8');
  const fp = openssl(['x509', '-noout', '-fingerprint', '-sha256'], certPem).toString('ascii').trim();
  return {
    dir,
    caFile: p('ca.pem'),
    caPem,
    certPem,
    keyPem: readFileSync(p('leaf.key'), 'utf8'),
    leafSpkiPin: spkiPin(certPem, true),
    caSpkiPin: spkiPin(caPem, true),
    leafCertFingerprint: fp.slice(fp.indexOf('=') + 1),
    otherSpkiPin: spkiPin(readFileSync(p('other.key'), 'utf8'), false),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
