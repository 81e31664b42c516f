/**
 * TLS client certificates as a restriction of who may sync (issue 12 item 5), on both databases
 * (client-cert-*.test.ts), with a throwaway PKI (test/helpers/tls.ts, openssl): B's HTTPS port has
 * `[upstream_service] client_ca_file`; a Patchbay downstream presenting a certificate that CA signed syncs and
 * rolls up; without one, or with one another CA signed, it is refused with PB_ERR_DOWNSTREAM_REFUSED's fault;
 * on the HTTP port (no certificate possible) too; a Windows client on the same HTTPS port is served as before.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import { createRepositories } from '../../../src/storage/index.js';
import { runRollup, runSync, UpstreamTransport } from '../../../src/sync/index.js';
import { envelope } from '../client-service/wusp-client.js';
import { createTestPki } from '../../helpers/tls.js';
import { openTestDb, type DbKind } from '../sync/harness.js';
import { serveUpstream, startUpstreamPatchbay } from './harness.js';
import { Agent, request } from 'undici';

/** A client certificate (extendedKeyUsage clientAuth) signed by the PKI's CA. */
function clientCertificate(dir: string): { certFile: string; keyFile: string } {
  const p = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  execFileSync('openssl', ['req', ...ec, '-keyout', p('dss.key'), '-out', p('dss.csr'), '-subj', '/CN=dss']);
  writeFileSync(p('dss.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  execFileSync('openssl', [
    'x509',
    '-req',
    '-in',
    p('dss.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('dss.pem'),
    '-days',
    '2',
    '-extfile',
    p('dss.ext'),
  ]);
  return { certFile: p('dss.pem'), keyFile: p('dss.key') };
}

function faultOf(e: unknown): string | undefined {
  return isAppError(e) ? (e.detail?.['errorCode'] as string | undefined) : undefined;
}

export function clientCertScenario(kind: DbKind): void {
  void test(`[${kind}] client_ca_file: a downstream with a certificate the CA signed syncs and rolls up; without one, or another CA's, it is refused; Windows clients are not affected`, async (t: TestContext) => {
    const pki = createTestPki();
    const stranger = createTestPki();
    t.after(() => {
      pki.cleanup();
      stranger.cleanup();
    });
    const good = clientCertificate(pki.dir);
    const wrong = clientCertificate(stranger.dir);
    const options = { requireClientCertificate: true };
    const b = await startUpstreamPatchbay(t, kind, options);
    const { baseUrl } = await serveUpstream(t, b.db, options, {
      cert: Buffer.from(pki.certPem),
      key: Buffer.from(pki.keyPem),
      clientCa: Buffer.from(pki.caPem),
    });
    const httpsSync = `${baseUrl}/ServerSyncWebService/ServerSyncWebService.asmx`;
    const transport = (cert?: { certFile: string; keyFile: string }) => {
      const tr = new UpstreamTransport({
        tls: {
          ca: pki.caPem,
          ...(cert ? { clientCertificateFile: cert.certFile, clientKeyFile: cert.keyFile } : {}),
        },
        retry: { maxAttempts: 1 },
      });
      t.after(() => tr.close());
      return tr;
    };

    const c = await openTestDb(t, kind);
    const cId = await createRepositories(c).settings.getOrCreateInstanceId();
    const ok = await runSync({ db: c, transport: transport(good) }, { upstreamUrl: httpsSync, nodeId: 'c' });
    assert.equal(ok.outcome, 'succeeded');
    const rolled = await runRollup({ db: c, transport: transport(good) }, { upstreamUrl: httpsSync });
    assert.equal(rolled.skipped, undefined);
    assert.ok((await createRepositories(b.db).downstreamServers.get(cId))?.lastRollupAt !== null);

    for (const [what, tr, url] of [
      ['no certificate', transport(), httpsSync],
      ["another CA's certificate", transport(wrong), httpsSync],
      ['the HTTP port', transport(good), b.serverSyncUrl],
    ] as const) {
      const d = await openTestDb(t, kind);
      await assert.rejects(
        runSync({ db: d, transport: tr }, { upstreamUrl: url, nodeId: 'd' }),
        (e) => faultOf(e) === 'InvalidParameters',
        `${what}: refused at authorization`,
      );
    }

    // The roll-up operations take the same rule: C without its certificate may not roll up.
    await assert.rejects(
      runRollup({ db: c, transport: transport() }, { upstreamUrl: httpsSync }),
      (e) => faultOf(e) === 'InvalidParameters' && /no TLS client certificate/.test((e as Error).message),
      'a roll-up without a certificate is refused',
    );

    // A Windows Update Agent on the same HTTPS port presents no certificate and is served.
    const dispatcher = new Agent({ connect: { ca: pki.caPem } });
    t.after(() => dispatcher.close());
    const r = await request(`${baseUrl}/ClientWebService/client.asmx`, {
      method: 'POST',
      dispatcher,
      body: envelope(
        'GetConfig',
        'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService',
        '<protocolVersion>2.90</protocolVersion>',
      ),
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetConfig"',
      },
    });
    assert.equal(r.statusCode, 200);
    await r.body.text();
  });
}
