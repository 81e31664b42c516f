/**
 * Xpress on the client endpoints (docs/protocol/upstream.md §U3, docs/clients.md): negotiation by
 * Accept-Encoding with q-values, the headers WS2025 sends (Content-Encoding: xpress, Vary, a plain
 * Content-Length), faults identity-encoded, `[server] xpress = false` turns it off, /Content/ never.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { decodeXpressBody } from '../../../src/protocol/xpress/index.js';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';
import { closeCatalog, revisionFromDocument, seedGeneration } from '../../helpers/seed-catalog.js';
import { dialects, startHarness, type Harness, type HttpResult } from './harness.js';
import { simulatedScan } from './wua-facts.js';
import { WuspClient, clientNs, clientPath, envelope } from './wusp-client.js';

const getConfig = envelope('GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>');
const badCookieSync = readFixture('wsus/wsus-m0-native/scan/000006/request.body').toString('utf8');

async function call(h: Harness, body: string, op: string, acceptEncoding?: string) {
  const res = await request(`${h.baseUrl}${clientPath}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"${clientNs}/${op}"`,
      ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }),
    },
  });
  const wire = Buffer.from(await res.body.arrayBuffer());
  assert.equal(res.headers['content-length'], String(wire.length));
  const xpress = res.headers['content-encoding'] === 'xpress';
  return {
    status: res.statusCode,
    headers: res.headers,
    xpress,
    wire,
    text: (xpress ? decodeXpressBody(wire) : wire).toString('utf8'),
  };
}

/** The harness seen by a client that offers xpress on every call, as WUA does; every 200 must be Xpress. */
function xpressClient(h: Harness, seen: { xpress: number; identity: number }): Harness {
  return {
    ...h,
    post: async (path, body, headers = {}): Promise<HttpResult> => {
      const res = await request(`${h.baseUrl}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/xml; charset=utf-8', 'accept-encoding': 'xpress', ...headers },
      });
      const wire = Buffer.from(await res.body.arrayBuffer());
      const xpress = res.headers['content-encoding'] === 'xpress';
      if (xpress) seen.xpress++;
      else seen.identity++;
      if (res.statusCode === 200) assert.ok(xpress, `${path}: a 200 answer to an xpress offer is Xpress`);
      return {
        status: res.statusCode,
        headers: res.headers,
        body: (xpress ? decodeXpressBody(wire) : wire).toString('utf8'),
      };
    },
  };
}

/** The 8 real update documents of wsus-m0-wsusss/docs and their synthetic closure, as replay-native uses. */
async function seededHarness(t: Parameters<typeof startHarness>[0], dialect: 'sqlite' | 'postgres') {
  const dir = fixturePath('wsus', 'wsus-m0-wsusss', 'docs');
  const real = readdirSync(dir).map((f) => revisionFromDocument(readFileSync(join(dir, f), 'utf8')));
  const all = [...real, ...closeCatalog(real)];
  return startHarness(t, dialect, {
    seed: async ({ handle }) => {
      await seedGeneration(handle, all, Date.parse('2026-10-04T12:00:00Z'));
    },
  });
}

for (const { dialect, skip } of dialects) {
  void describe(`Xpress answers on the client port (${dialect})`, { skip }, () => {
    void test('Accept-Encoding decides, q-values included; both variants carry Vary', async (t) => {
      const h = await startHarness(t, dialect);
      const identity = await call(h, getConfig, 'GetConfig');
      assert.equal(identity.status, 200);
      assert.equal(identity.xpress, false);
      assert.equal(identity.headers['vary'], 'Accept-Encoding');
      for (const [offer, expected] of [
        ['xpress', true],
        ['XPRESS', true],
        ['gzip, deflate, xpress;q=0.5', true],
        ['xpress ; q=1.000', true],
        ['xpress;q=0', false],
        ['xpress;q=0.000', false],
        ['xpress;q=2', false],
        ['gzip, br', false],
        ['*', false],
        ['identity', false],
        ['', false],
      ] as const) {
        const r = await call(h, getConfig, 'GetConfig', offer);
        assert.equal(r.status, 200, offer);
        assert.equal(r.xpress, expected, `Accept-Encoding: ${offer}`);
        assert.equal(r.headers['vary'], 'Accept-Encoding', offer);
        assert.equal(r.headers['cache-control'], 'private', offer);
        assert.equal(r.text, identity.text, `${offer}: the same answer`);
        if (expected) assert.ok(r.wire.length < Buffer.byteLength(identity.text), offer);
      }
    });

    void test('a fault is identity-encoded even when xpress is offered (500, Connection: close)', async (t) => {
      const h = await startHarness(t, dialect);
      // The captured native request's cookie is redacted to zero bytes: InvalidCookie.
      const r = await call(h, badCookieSync, 'SyncUpdates', 'xpress');
      assert.equal(r.status, 500);
      assert.equal(r.xpress, false);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['connection'], 'close');
      assert.match(r.text, /<s:Fault>/);
    });

    void test('[server] xpress = false: identity for everyone, no Vary', async (t) => {
      const h = await startHarness(t, dialect, { env: { PATCHBAY_SERVER_XPRESS: 'false' } });
      const r = await call(h, getConfig, 'GetConfig', 'xpress');
      assert.equal(r.status, 200);
      assert.equal(r.xpress, false);
      assert.equal(r.headers['vary'], undefined);
      assert.match(r.text, /<GetConfigResponse/);
    });

    void test('a simulated client asking for xpress on every call completes the same scan as an identity one', async (t) => {
      const h = await seededHarness(t, dialect);
      const seen = { xpress: 0, identity: 0 };
      const scan = async (harness: Harness) => {
        const wua = new WuspClient(harness, randomUUID());
        await wua.handshake();
        await wua.register();
        return (await simulatedScan(wua)).report;
      };
      const withXpress = await scan(xpressClient(h, seen));
      const identity = await scan(h);
      assert.ok(withXpress.calls >= 3, `one round per category level (${withXpress.calls} calls)`);
      assert.ok(withXpress.delivered.length >= 3, `${withXpress.delivered.length} revisions`);
      assert.deepEqual(
        withXpress.delivered.map((d) => d.revisionId),
        identity.delivered.map((d) => d.revisionId),
      );
      assert.equal(seen.identity, 0);
      assert.ok(seen.xpress >= withXpress.calls + 3, `handshake and pages were Xpress (${seen.xpress})`);
    });

    void test('/Content/ is never Xpress-encoded', async (t) => {
      const h = await startHarness(t, dialect);
      const data = Buffer.alloc(50_000, 0x41);
      const sha1 = createHash('sha1').update(data).digest();
      await h.store.ingest([data], {
        sha1,
        sha256: createHash('sha256').update(data).digest(),
        size: data.length,
      });
      const hex = sha1.toString('hex');
      const res = await request(
        `${h.baseUrl}/Content/${hex.slice(-2).toUpperCase()}/${hex.toUpperCase()}.cab`,
        {
          headers: { 'accept-encoding': 'xpress' },
        },
      );
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.deepEqual(body, data);
    });
  });
}
