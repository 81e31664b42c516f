/**
 * `patchbay tls selfsigned`: a self-signed certificate and key for labs, so the HTTPS client port (8531) can
 * be tried without a PKI. The certificate names the server's DNS names and IP addresses as subject
 * alternative names (clients check those, not the common name). openssl does the X.509 work (it is on every
 * supported system and in the test image); node:crypto then reads the result back to print its thumbprint.
 * For production use a certificate from the organisation's CA (docs/clients.md).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';

const dnsLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A SAN entry for `name`, or undefined when it is neither a DNS name (wildcard allowed first) nor an IP. */
export function subjectAltNameFor(name: string): string | undefined {
  if (isIP(name) !== 0) return `IP:${name}`;
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.replace(/\.$/, '').split('.');
  const ok = labels.every((l, i) => (i === 0 && l === '*' && labels.length > 2) || dnsLabel.test(l));
  return ok ? `DNS:${name.replace(/\.$/, '').toLowerCase()}` : undefined;
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err === null) return resolveRun();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new AppError(
          'PB_ERR_INTERNAL',
          missing
            ? 'openssl was not found on PATH; install it (Debian: apt-get install openssl)'
            : `openssl failed: ${stderr.trim().slice(0, 500) || err.message}`,
          { cause: err },
        ),
      );
    });
  });
}

export interface SelfSignedOptions {
  readonly names: readonly string[];
  readonly outDir: string;
  readonly days: number;
  readonly force: boolean;
}

export interface SelfSignedResult {
  readonly certFile: string;
  /** DER copy of the certificate for Windows clients. */
  readonly cerFile: string;
  readonly keyFile: string;
  readonly sha1Thumbprint: string;
  readonly validTo: string;
  readonly subjectAltNames: readonly string[];
}

/** Generates the pair in a private temp dir, then writes it (the key with mode 0600) into `outDir`. */
export async function createSelfSignedCertificate(o: SelfSignedOptions): Promise<SelfSignedResult> {
  const sans: string[] = [];
  for (const n of o.names) {
    const san = subjectAltNameFor(n.trim());
    if (san === undefined)
      throw new AppError(
        'PB_ERR_USAGE',
        `--name ${JSON.stringify(n)} is neither a DNS name nor an IP address`,
      );
    if (!sans.includes(san)) sans.push(san);
  }
  if (sans.length === 0) throw new AppError('PB_ERR_USAGE', 'at least one --name is needed');
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 3650)
    throw new AppError('PB_ERR_USAGE', '--days must be an integer from 1 to 3650');
  const commonName = sans[0]!.slice(sans[0]!.indexOf(':') + 1);
  const work = await mkdtemp(join(tmpdir(), 'pb-tls-'));
  try {
    const [certTmp, keyTmp] = [join(work, 'cert.pem'), join(work, 'key.pem')];
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-sha256',
      '-nodes',
      '-days',
      String(o.days),
      '-keyout',
      keyTmp,
      '-out',
      certTmp,
      '-subj',
      `/CN=${commonName}/O=Patchbay self-signed`,
      '-addext',
      `subjectAltName=${sans.join(',')}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ]);
    const [certPem, keyPem] = await Promise.all([readFile(certTmp), readFile(keyTmp)]);
    const x509 = new X509Certificate(certPem);
    await mkdir(o.outDir, { recursive: true });
    const certFile = join(o.outDir, 'patchbay-cert.pem');
    const keyFile = join(o.outDir, 'patchbay-key.pem');
    // The same certificate DER-encoded: what Windows' certificate import tools and GPO expect (.cer).
    const cerFile = join(o.outDir, 'patchbay-cert.cer');
    const flag = o.force ? 'w' : 'wx';
    try {
      await writeFile(keyFile, keyPem, { mode: 0o600, flag });
      await chmod(keyFile, 0o600); // an existing file overwritten with --force keeps its old mode otherwise
      await writeFile(certFile, certPem, { mode: 0o644, flag });
      await writeFile(cerFile, x509.raw, { mode: 0o644, flag });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AppError(
        'PB_ERR_FILESYSTEM',
        code === 'EEXIST'
          ? `${o.outDir} already holds a certificate or key; pass --force to replace them`
          : `cannot write the certificate files in ${o.outDir}`,
        { cause: e },
      );
    }
    return {
      certFile,
      cerFile,
      keyFile,
      sha1Thumbprint: x509.fingerprint.replace(/:/g, ''),
      validTo: new Date(x509.validTo).toISOString(),
      subjectAltNames: sans,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function registerTlsCommands(program: Command, io: CliIo, _setExitCode: (code: number) => void): void {
  const tls = program.command('tls').description('certificates for the HTTPS client port');

  tls
    .command('selfsigned')
    .description('generate a self-signed certificate and key for a lab (use your CA in production)')
    .option(
      '--name <name>',
      'DNS name or IP address clients use to reach this server (repeatable; default: the host name)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--out-dir <dir>', 'where to write the files (default: <data_dir>/tls)')
    .option('--days <n>', 'validity in days', '825')
    .option('--force', 'replace existing files')
    .action(
      async (opts: { name: string[]; outDir?: string; days: string; force?: boolean }, cmd: Command) => {
        const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
        const outDir = resolve(io.cwd, opts.outDir ?? join(config.server.dataDir, 'tls'));
        const names = opts.name.length > 0 ? opts.name : [hostname()];
        const r = await createSelfSignedCertificate({
          names,
          outDir,
          days: Number(opts.days),
          force: opts.force === true,
        });
        io.stdout(
          `wrote ${r.certFile}\n` +
            `wrote ${r.keyFile} (mode 0600)\n` +
            `wrote ${r.cerFile} (the certificate for Windows clients)\n` +
            `names: ${r.subjectAltNames.join(', ')}; valid until ${r.validTo}; SHA-1 thumbprint ${r.sha1Thumbprint}\n\n` +
            `Add to patchbay.ini (HTTPS on server.https_port, ${config.server.httpsPort} in this configuration):\n\n` +
            `[server]\ntls_cert_file = ${r.certFile}\ntls_key_file = ${r.keyFile}\n\n` +
            `Windows clients must trust this certificate. Copy ${r.cerFile} to each client (or deploy it by\n` +
            `GPO: Computer Configuration > Windows Settings > Security Settings > Public Key Policies >\n` +
            `Trusted Root Certification Authorities) or import it in an elevated PowerShell:\n\n` +
            `  Import-Certificate -FilePath .\\patchbay-cert.cer -CertStoreLocation Cert:\\LocalMachine\\Root\n\n` +
            `then point WUServer/WUStatusServer at https://${r.subjectAltNames[0]!.replace(/^(DNS|IP):/, '')}:${config.server.httpsPort}.\n`,
        );
      },
    );
}
