/**
 * `[upstream_service]` on a running server (what `patchbay serve` builds): the role is mounted by default,
 * `enabled = false` leaves its paths at 404 as on a server without it, and main passes the restrictions on
 * (a downstream outside allowed_addresses gets the refusal fault). Not storage-specific: SQLite only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { startPatchbay } from '../../../src/main.js';
import {
  dssAuthNs,
  encodeGetAuthorizationCookieRequest,
  wrapServerSyncRequest,
} from '../../../src/protocol/server-sync/index.js';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { freePort } from '../../helpers/cli.js';
import { postSoap, silentLogger } from '../client-service/harness.js';

async function serve(t: TestContext, env: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-uss-switch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = await loadConfigOrThrow({
    env: {
      PATCHBAY_SERVER_DATA_DIR: dir,
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
      PATCHBAY_ADMIN_BIND: '127.0.0.1',
      PATCHBAY_ADMIN_PORT: String(await freePort()),
      PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
      ...env,
    },
  });
  const server = await startPatchbay(config, silentLogger);
  t.after(() => server.close());
  return server.addresses.http!;
}

const authorize = (baseUrl: string) =>
  postSoap(
    `${baseUrl}/DssAuthWebService/DssAuthWebService.asmx`,
    wrapServerSyncRequest(
      encodeGetAuthorizationCookieRequest({
        accountName: 'dss.lab.invalid',
        accountGuid: '6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12',
      }),
    ),
    { soapaction: `"${dssAuthNs}/GetAuthorizationCookie"` },
  );

void test('[upstream_service] enabled (default true) mounts the role; false answers 404; allowed_addresses reaches the service', async (t) => {
  const on = await serve(t, {});
  assert.equal((await authorize(on)).status, 200);

  const off = await serve(t, { PATCHBAY_UPSTREAM_SERVICE_ENABLED: 'false' });
  assert.equal((await authorize(off)).status, 404);
  const ss = await postSoap(
    `${off}/ServerSyncWebService/ServerSyncWebService.asmx`,
    wrapServerSyncRequest(''),
    {},
  );
  assert.equal(ss.status, 404);

  const restricted = await serve(t, { PATCHBAY_UPSTREAM_SERVICE_ALLOWED_ADDRESSES: '10.0.0.0/8' });
  const r = await authorize(restricted);
  assert.equal(r.status, 500);
  assert.equal(decodeSoapFault(r.body)?.errorCode, 'InvalidParameters');
});

void test('[upstream_service] allowed_addresses entries must be IPs or CIDR ranges', async () => {
  for (const bad of ['10.0.0.0/33', 'example.com', '::1/129'])
    await assert.rejects(
      loadConfigOrThrow({ env: { PATCHBAY_UPSTREAM_SERVICE_ALLOWED_ADDRESSES: bad } }),
      /allowed_addresses/,
      bad,
    );
  const ok = await loadConfigOrThrow({
    env: { PATCHBAY_UPSTREAM_SERVICE_ALLOWED_ADDRESSES: '10.0.0.0/8, fd00::/8, 192.0.2.7' },
  });
  assert.deepEqual(ok.upstream_service.allowedAddresses, ['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
  assert.equal(ok.upstream_service.maxDownstreams, 1000);
  assert.equal(ok.upstream_service.enabled, true);
});

void test('[upstream_service] is read from the INI file too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-uss-ini-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'patchbay.ini');
  await writeFile(
    file,
    '[upstream_service]\nenabled = false\nmax_downstreams = 5\nallowed_downstreams = 6F1C2F6E-3F0B-4D3A-9B1E-0D2F6A1C5E12\n',
  );
  const c = await loadConfigOrThrow({ env: {}, file });
  assert.equal(c.upstream_service.enabled, false);
  assert.equal(c.upstream_service.maxDownstreams, 5);
  assert.deepEqual(c.upstream_service.allowedDownstreams, ['6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12']);
});
