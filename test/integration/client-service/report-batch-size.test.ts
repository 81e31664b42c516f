/**
 * Issue 10 item 4: a ReportEventBatch is bounded by bytes, never by an event count. A computer approved for
 * 1,670 updates reports 1,670 events in one batch (seen in the field) and resends a refused batch forever,
 * so every batch that fits the request body limit is accepted and all its states recorded; a hostile batch
 * is refused by the body limit and the reporting endpoint's byte-derived element bound.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addCatalogUpdates, dialects, startHarness } from './harness.js';
import {
  cookieXml,
  envelope,
  reportingEvent,
  reportingNs,
  reportingPath,
  SoapFaultError,
  WuspClient,
} from './wusp-client.js';

function installedEvents(clientId: string, updateIds: readonly string[]): string {
  return updateIds
    .map((updateId) => reportingEvent({ clientId, instanceId: randomUUID(), eventId: 183, updateId }))
    .join('');
}

for (const { dialect, skip } of dialects) {
  void describe(`ReportEventBatch size (${dialect})`, { skip }, () => {
    for (const count of [1_670, 5_000]) {
      void test(`a ${count}-event batch is accepted and every state is recorded`, async (t) => {
        const h = await startHarness(t, dialect);
        const clientId = randomUUID();
        const c = new WuspClient(h, clientId);
        await c.handshake();
        const updateIds = Array.from({ length: count }, () => randomUUID());
        await addCatalogUpdates(h, updateIds);
        assert.equal(await c.report(installedEvents(clientId, updateIds)), true);
        const states = await h.repos.updateStatus.listForComputer(clientId);
        assert.equal(states.length, count);
        assert.ok(states.every((s) => s.state === 4));
        assert.deepEqual(new Set(states.map((s) => s.updateId)), new Set(updateIds));
      });
    }

    void test('a 156 status event listing 8,000 updates (a 296 KB MiscData string) becomes 8,000 states', async (t) => {
      const h = await startHarness(t, dialect);
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      const updateIds = Array.from({ length: 8_000 }, () => randomUUID());
      await addCatalogUpdates(h, updateIds);
      const list = updateIds.map((u) => u.toUpperCase()).join(';');
      const status = reportingEvent({
        clientId,
        instanceId: randomUUID(),
        eventId: 156,
        miscData: [`U=${list}`, 'V='],
      });
      assert.equal(await c.report(status), true);
      const states = await h.repos.updateStatus.listForComputer(clientId);
      assert.equal(states.length, 8_000);
      assert.ok(states.every((s) => s.state === 2));
    });

    void test('a batch larger than the body limit, or of more elements than its bytes allow, is refused and stores nothing', async (t) => {
      const h = await startHarness(t, dialect, { env: { PATCHBAY_SERVER_REQUEST_BODY_LIMIT: '256KiB' } });
      const clientId = randomUUID();
      const c = new WuspClient(h, clientId);
      await c.handshake();
      // ~1.3 KB per event: 300 events are over 256 KiB.
      const tooBig = installedEvents(
        clientId,
        Array.from({ length: 300 }, () => randomUUID()),
      );
      await assert.rejects(c.report(tooBig), (e: unknown) => e instanceof SoapFaultError);
      // Under the byte limit but 60,000 empty elements (> 256 KiB / 16): the XML reader stops it.
      const flood = envelope(
        'ReportEventBatch',
        reportingNs,
        `${cookieXml(c.cookie!)}<eventBatch>${'<a/>'.repeat(60_000)}</eventBatch>`,
      );
      assert.ok(Buffer.byteLength(flood) < 256 * 1024);
      const r = await h.post(reportingPath, flood, { soapaction: `"${reportingNs}/ReportEventBatch"` });
      assert.equal(r.status, 500);
      assert.match(r.body, /<ErrorCode>InvalidParameters<\/ErrorCode>/);
      assert.equal((await h.repos.clientEvents.listForComputer(clientId)).length, 0);
      assert.equal((await h.repos.updateStatus.listForComputer(clientId)).length, 0);
    });
  });
}
