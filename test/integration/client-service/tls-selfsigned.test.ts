/**
 * `patchbay tls selfsigned` end to end: the real CLI writes a certificate naming the server (SANs) and a
 * 0600 key, prints the config lines; `patchbay serve` started with those lines answers a real GetConfig
 * SOAP call over HTTPS that validates against the generated certificate (and fails for a wrong name).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCliProcess, spawnCli } from '../../helpers/cli.js';
import { clientNs, clientPath, envelope, kid, payloadOf, text } from './wusp-client.js';

function soapOverHttps(
  port: number,
  ca: Buffer,
  servername: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: clientPath,
        method: 'POST',
        ca,
        servername,
        agent: false,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: `"${clientNs}/GetConfig"`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

void test('tls selfsigned: SANs, 0600 key, config lines; serve uses them for a validated HTTPS GetConfig', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'pb-tls-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const env = { PATCHBAY_SERVER_DATA_DIR: join(cwd, 'data') };

  const gen = await runCliProcess(
    ['tls', 'selfsigned', '--name', 'wsus.lab.test', '--name', '127.0.0.1', '--name', 'localhost'],
    { cwd, env },
  );
  assert.equal(gen.code, 0, gen.stderr);
  const certFile = join(cwd, 'data', 'tls', 'patchbay-cert.pem');
  const keyFile = join(cwd, 'data', 'tls', 'patchbay-key.pem');
  assert.match(gen.stdout, new RegExp(`tls_cert_file = ${certFile}`));
  assert.match(gen.stdout, new RegExp(`tls_key_file = ${keyFile}`));
  assert.match(gen.stdout, /Import-Certificate .*Cert:\\LocalMachine\\Root/);
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  const cert = await readFile(certFile);
  const x509 = new X509Certificate(cert);
  assert.equal(x509.subjectAltName, 'DNS:wsus.lab.test, IP Address:127.0.0.1, DNS:localhost');
  assert.equal(x509.issuer, x509.subject);
  assert.equal(x509.verify(x509.publicKey), true, 'self-signed');
  assert.equal(x509.ca, false);
  assert.ok(x509.checkPrivateKey((await import('node:crypto')).createPrivateKey(await readFile(keyFile))));
  const der = await readFile(join(cwd, 'data', 'tls', 'patchbay-cert.cer'));
  assert.deepEqual(der, x509.raw);

  // A second run refuses to overwrite; --force replaces (and keeps the key private).
  const again = await runCliProcess(['tls', 'selfsigned', '--name', 'localhost'], { cwd, env });
  assert.equal(again.code, 73, again.stdout);
  assert.match(again.stderr, /--force/);
  // A name that is neither a DNS name nor an IP (would inject a SAN) is refused as usage.
  const bad = await runCliProcess(['tls', 'selfsigned', '--name', 'a,DNS:evil.test'], { cwd, env });
  assert.equal(bad.code, 64, bad.stderr);

  // The printed config lines, as an operator pastes them.
  const ini = gen.stdout.slice(gen.stdout.indexOf('[server]')).split('\n\n')[0]!;
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  await writeFile(
    join(cwd, 'patchbay.ini'),
    `${ini.replace('[server]', `[server]\nbind = 127.0.0.1\nhttp_port = ${httpPort}\nhttps_port = ${httpsPort}`)}\n\n[admin]\nport = ${adminPort}\n`,
  );
  const child = spawnCli(['serve'], { cwd, env: { ...env, PATCHBAY_LOG_FORMAT: 'json' } });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\n${stdout}\n${stderr}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes(`https://127.0.0.1:${httpsPort}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}\n${stdout}\n${stderr}`)));
  });

  const body = envelope('GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>');
  for (const name of ['wsus.lab.test', 'localhost']) {
    const r = await soapOverHttps(httpsPort, cert, name, body);
    assert.equal(r.status, 200, r.body);
    const props = kid(kid(payloadOf(r.body), 'GetConfigResult')!, 'Properties')!;
    assert.ok(
      props.children.some((p) => p.kind === 'element' && text(kid(p, 'Value')) === '3.2'),
      'ProtocolVersion 3.2',
    );
  }
  // A name the certificate does not carry fails verification (the check is real).
  await assert.rejects(soapOverHttps(httpsPort, cert, 'other.lab.test', body), /altnames|Hostname/i);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
});
