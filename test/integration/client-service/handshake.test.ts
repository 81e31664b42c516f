import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { unassignedComputersGroup } from '../../../src/storage/index.js';
import { addCatalogUpdates, dialects, startHarness } from './harness.js';
import {
  clientNs,
  clientPath,
  envelope,
  kid,
  payloadOf,
  reportingEvent,
  SoapFaultError,
  text,
  WuspClient,
} from './wusp-client.js';

for (const { dialect, skip } of dialects) {
  void describe(`MS-WUSP handshake and reporting (${dialect})`, { skip }, () => {
    void test('GetConfig answers ProtocolVersion 3.2 with a stable LastChange; framing is WS2025-like', async (t) => {
      const h = await startHarness(t, dialect);
      const r = await h.post(
        clientPath,
        envelope('GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>'),
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers['cache-control'], 'private');
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
      assert.equal(r.headers['transfer-encoding'], undefined);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.ok(r.body.startsWith('<s:Envelope'));
      const result = kid(payloadOf(r.body), 'GetConfigResult')!;
      const props = Object.fromEntries(
        (kid(result, 'Properties')?.children ?? [])
          .filter((c) => c.kind === 'element')
          .map((c) => [text(kid(c, 'Name')), text(kid(c, 'Value'))]),
      );
      assert.equal(props['ProtocolVersion'], '3.2');
      assert.equal(props['MaxExtendedUpdatesPerRequest'], '50');
      // Case-insensitive path; the LastChange stamp is persisted, so it does not move between calls.
      const again = await h.post(
        '/clientwebservice/CLIENT.ASMX',
        envelope('GetConfig', clientNs, '<protocolVersion>2.90</protocolVersion>'),
      );
      assert.equal(
        text(kid(kid(payloadOf(again.body), 'GetConfigResult')!, 'LastChange')),
        text(kid(result, 'LastChange')),
      );
    });

    void test('handshake creates the computer, client-side targeting picks the named group, inventory is stored', async (t) => {
      const h = await startHarness(t, dialect);
      const group = await h.repos.groups.create({ name: 'Ring 1' });
      // Requested names make memberships only in client-side targeting mode (docs/administration.md).
      await h.repos.settings.set('targeting.mode', 'client', 'test');
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake('ring 1;No Such Group');
      assert.ok(c.cookie && c.cookie.data.length > 40);
      // REAL: Expiration = issue time + 1 h.
      const ttl = Date.parse(c.cookie.expiration) - Date.now();
      assert.ok(ttl > 3500_000 && ttl <= 3600_000, `ttl ${ttl}`);
      assert.deepEqual(
        (await h.repos.groups.groupsOf(clientId)).map((g) => g.groupId),
        [group.groupId],
      );
      await c.register();
      const pc = await h.repos.computers.get(clientId);
      assert.equal(pc?.dnsName, 'pc1.example.test');
      assert.equal(pc?.osBuild, 26200);
      assert.equal(pc?.clientVersion, '1507.2601.30012.0');
      assert.equal(pc?.processorArchitecture, 'AMD64');

      // Without a target group the client-side membership is dropped and the computer is Unassigned.
      const c2 = new WuspClient(h, clientId);
      await c2.handshake();
      assert.deepEqual(
        (await h.repos.groups.groupsOf(clientId)).map((g) => g.groupId),
        [unassignedComputersGroup],
      );
    });

    void test('the session cookie is not extended: NewCookie repeats the GetCookie expiration', async (t) => {
      const h = await startHarness(t, dialect);
      const c = new WuspClient(h, randomUUID());
      await c.handshake();
      const exp = c.cookie!.expiration;
      const first = c.cookie!.data;
      const a = await c.sync({});
      assert.equal(a.cookie.expiration, exp);
      assert.notEqual(a.cookie.data, first);
    });

    void test('GetCookie with a stale lastChange is ConfigChanged; a forged auth cookie is InvalidAuthorizationCookie', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const forged = Buffer.alloc(200, 7).toString('base64');
      const body = (data: string, lastChange: string) =>
        envelope(
          'GetCookie',
          clientNs,
          `<authCookies><AuthorizationCookie><PlugInId>SimpleTargeting</PlugInId><CookieData>${data}</CookieData></AuthorizationCookie></authCookies><lastChange>${lastChange}</lastChange><protocolVersion>2.90</protocolVersion>`,
        );
      const r = await h.post(clientPath, body(forged, c.lastChange));
      assert.equal(r.status, 500);
      assert.equal(r.headers['connection'], 'close');
      assert.match(r.body, /<ErrorCode>InvalidAuthorizationCookie<\/ErrorCode>/);
      // A session cookie is not an auth cookie (the kind byte is authenticated).
      const r2 = await h.post(clientPath, body(c.cookie!.data, c.lastChange));
      assert.match(r2.body, /<ErrorCode>InvalidAuthorizationCookie<\/ErrorCode>/);
      // A real auth cookie with an old LastChange.
      const auth = await c.call(
        '/SimpleAuthWebService/SimpleAuth.asmx',
        'GetAuthorizationCookie',
        'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService',
        `<clientId>${clientId}</clientId><dnsName>x</dnsName>`,
      );
      const data = text(kid(kid(auth, 'GetAuthorizationCookieResult')!, 'CookieData'));
      const r3 = await h.post(clientPath, body(data, '2020-01-01T00:00:00Z'));
      assert.match(r3.body, /<ErrorCode>ConfigChanged<\/ErrorCode>/);
      const r4 = await h.post(clientPath, body(data, c.lastChange));
      assert.equal(r4.status, 200);
    });

    void test('ReportEventBatch: stored raw once per EventInstanceID, 156 lists and 182/183 become states, answer true', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
      await addCatalogUpdates(h, [u1, u2, u3]);
      const t0 = Date.now() - 60_000;
      const ev1 = randomUUID();
      const batch =
        reportingEvent({
          clientId,
          instanceId: ev1,
          eventId: 156,
          miscData: [`U=${u1.toUpperCase()};${u2.toUpperCase()}`, `V=${u3.toUpperCase()}`],
          at: new Date(t0),
        }) +
        reportingEvent({
          clientId,
          instanceId: randomUUID(),
          eventId: 182,
          updateId: u1,
          revisionNumber: 200,
          hresult: -2145099769,
          at: new Date(t0 + 1000),
        }) +
        reportingEvent({
          clientId,
          instanceId: randomUUID(),
          eventId: 183,
          updateId: u2,
          revisionNumber: 1,
          at: new Date(t0 + 2000),
        }) +
        // Another computer's event in this client's batch is never stored.
        reportingEvent({
          clientId: randomUUID(),
          instanceId: randomUUID(),
          eventId: 183,
          updateId: u3,
          at: new Date(t0 + 3000),
        });
      assert.equal(await c.report(batch), true);
      const states = Object.fromEntries(
        (await h.repos.updateStatus.listForComputer(clientId)).map((s) => [s.updateId, s.state]),
      );
      assert.deepEqual(states, { [u1]: 5, [u2]: 4, [u3]: 4 });
      assert.equal((await h.repos.clientEvents.listForComputer(clientId)).length, 3);
      // Replaying the batch stores nothing new; a later 156 replaces the set (u3 vanished -> not applicable).
      assert.equal(await c.report(batch), true);
      assert.equal((await h.repos.clientEvents.listForComputer(clientId)).length, 3);
      await c.report(
        reportingEvent({
          clientId,
          instanceId: randomUUID(),
          eventId: 156,
          miscData: [`U=${u1}`, 'V='],
          at: new Date(t0 + 5000),
        }),
      );
      const after = Object.fromEntries(
        (await h.repos.updateStatus.listForComputer(clientId)).map((s) => [s.updateId, s.state]),
      );
      assert.deepEqual(after, { [u1]: 2, [u2]: 1, [u3]: 1 });
      const pc = await h.repos.computers.get(clientId);
      assert.ok(pc?.lastReportAt !== null && pc!.lastReportAt >= t0);
      // The raw text is kept, never interpreted.
      const raw = (await h.repos.clientEvents.listForComputer(clientId)).find(
        (e) => e.eventInstanceId === ev1,
      )!.raw;
      assert.match(raw, /U=/);
    });

    void test('ReportEventBatch with a bit-flipped cookie is InvalidCookie and stores nothing', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const raw = Buffer.from(c.cookie!.data, 'base64');
      raw[raw.length - 20]! ^= 0x01;
      c.cookie = { ...c.cookie!, data: raw.toString('base64') };
      await assert.rejects(
        c.report(
          reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId: randomUUID() }),
        ),
        (e: unknown) =>
          e instanceof SoapFaultError && e.errorCode === 'InvalidCookie' && e.result.status === 500,
      );
      assert.equal((await h.repos.clientEvents.listForComputer(clientId)).length, 0);
    });
  });
}
