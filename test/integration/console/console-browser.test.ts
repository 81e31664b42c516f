/**
 * The web console in Debian's chromium (playwright-core; never a downloaded browser) against a real Patchbay
 * (`startPatchbay`, what `patchbay serve` runs) on SQLite, fed by the product fake upstream and a WUA-like
 * client: the Patch Tuesday flow (sign in, sync now with live progress, approve the security updates for a
 * pilot group with a deadline after a dry-run preview, a client scans and reports, its group's compliance
 * changes on the dashboard, approve for production, decline the superseded one), a reporter who sees no
 * approve controls and is refused by the server anyway, a CSRF attempt refused, an expired session, the
 * quarantine and rollback flow, paging through 100,000 updates, and axe-core on every page. The session and
 * CSRF rules on both databases are in console-session.test.ts; this file is about what the browser shows.
 * With PATCHBAY_CONSOLE_SCREENSHOTS=1 it writes the screenshots of docs/console.md into docs/console/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { startPatchbay, type RunningPatchbay } from '../../../src/main.js';
import { createRepositories } from '../../../src/storage/index.js';
import { freePort } from '../../helpers/cli.js';
import {
  axeSource,
  browserMissing,
  ensureConsoleBuilt,
  launchChromium,
} from '../../helpers/console-browser.js';
import { syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { openTestDatabase, type TestDatabase } from '../../helpers/admin-db.js';
import { syntheticRevision } from '../../helpers/seed-catalog.js';
import { postSoap, silentLogger, type Harness } from '../client-service/harness.js';
import { WuspClient, reportingEvent } from '../client-service/wusp-client.js';
import { cat, productEnv, startProductUpstream, type ProductUpstream } from '../e2e/product-upstream.js';

const missing = browserMissing();
const screenshots = process.env['PATCHBAY_CONSOLE_SCREENSHOTS'] === '1';
const shotsDir = fileURLToPath(new URL('../../../docs/console/', import.meta.url));
const dangling = 'dada0000-0000-4000-8000-000000000002';
const replacement = '00000000-0000-4000-8000-0000000000c1';

/** A security update superseding `cat.sec` (as superseded-on-sync.test.ts builds it). */
function supersedingDocument(): string {
  return syntheticDocument(replacement, 200, {
    title: 'SYNTHETIC (test) Security B, superseding',
    prerequisites: [[cat.detectoid]],
    categoryClauses: [[cat.product], [cat.securityUpdates]],
  })
    .replace('UpdateType="Software"', 'UpdateType="Software" ExplicitlyDeployable="true"')
    .replace(
      '<upd:Relationships>',
      `<upd:Relationships><upd:SupersededUpdates><upd:UpdateIdentity UpdateID="${cat.sec}" /></upd:SupersededUpdates>`,
    );
}

void describe('the web console in chromium', { skip: missing }, () => {
  let db: TestDatabase;
  let up: ProductUpstream;
  let server: RunningPatchbay;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  const tokens = { admin: '', reporter: '' };
  const cleanups: (() => Promise<unknown>)[] = [];
  const base = () => server.addresses['admin']!;

  before(async () => {
    await ensureConsoleBuilt();
    // node:test's `before` has no TestContext: the helpers' t.after cleanups are collected and run here.
    const t = { after: (f: () => Promise<unknown>) => cleanups.push(f) } as unknown as Parameters<
      typeof openTestDatabase
    >[0];
    db = await openTestDatabase(t, 'sqlite');
    up = await startProductUpstream(t);
    up.catalog.put({
      identity: { updateId: dangling, revisionNumber: 100 },
      text: syntheticDocument(dangling, 100, {
        title: 'SYNTHETIC (test) dangling prerequisite',
        prerequisites: [[cat.detectoid], ['deadbeef-0000-4000-8000-000000000000']],
        categoryClauses: [[cat.product], [cat.securityUpdates]],
      }),
      listed: true,
    });
    const config = await loadConfigOrThrow({
      env: {
        ...db.env,
        ...productEnv(up, db.dir),
        PATCHBAY_SERVER_BIND: '127.0.0.1',
        PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
        PATCHBAY_ADMIN_BIND: '127.0.0.1',
        PATCHBAY_ADMIN_PORT: String(await freePort()),
        PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
        PATCHBAY_MAINTENANCE_DECLINE_SUPERSEDED_AFTER_DAYS: '0',
      },
    });
    server = await startPatchbay(config, silentLogger);
    const services = createAdminServices(db.handle);
    const actor = { via: 'cli' as const, name: 'test' };
    tokens.admin = (await services.tokens.create({ name: 'console-admin', role: 'admin' }, actor)).token;
    tokens.reporter = (
      await services.tokens.create({ name: 'console-reporter', role: 'reporter' }, actor)
    ).token;
    await services.groups.create({ name: 'Pilot' }, actor);
    await services.groups.create({ name: 'Production' }, actor);
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await admin.newPage();
    page.on('pageerror', (e) => assert.fail(`console script error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    for (const c of cleanups.reverse()) await c();
  });

  async function signIn(p: Page, token: string): Promise<void> {
    await p.goto(base() + '/');
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function go(p: Page, label: string, heading: string): Promise<void> {
    await p
      .getByRole('navigation', { name: 'Console pages' })
      .getByRole('link', { name: label, exact: true })
      .click();
    await p.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  async function axe(p: Page, where: string): Promise<void> {
    await p.evaluate(axeSource());
    const violations = await p.evaluate(async () => {
      const w = globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> };
      };
      const r = await w.axe.run();
      return r.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
    assert.deepEqual(violations, [], `axe on ${where}`);
  }

  async function shot(p: Page, name: string): Promise<void> {
    if (!screenshots) return;
    mkdirSync(shotsDir, { recursive: true });
    await p.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
  }

  /** A WUA-like client: registers, joins `group`, scans. */
  async function client(group: string): Promise<{ id: string; wua: WuspClient }> {
    const clientBase = server.addresses['http']!;
    const h = {
      baseUrl: clientBase,
      post: (path: string, b: string, hd?: Record<string, string>) => postSoap(clientBase + path, b, hd),
    };
    const id = randomUUID();
    const wua = new WuspClient(h as unknown as Harness, id);
    await wua.handshake();
    await wua.register();
    await createAdminServices(db.handle).groups.addComputer(group, id, { via: 'cli', name: 'test' });
    await wua.handshake();
    await wua.sync({ installed: [], other: [] });
    return { id, wua };
  }

  void test('Patch Tuesday: sign in, sync now, approve for the pilot with a deadline, a client reports, production, superseded', async () => {
    await signIn(page, tokens.admin);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Last synchronization').waitFor();
    assert.match(await page.getByTestId('dashboard-figures').innerText(), /never/);

    await go(page, 'Synchronization', 'Synchronization');
    await page.getByRole('button', { name: 'Synchronize now' }).click();
    await page
      .getByTestId('job-state')
      .getByText(/sync succeeded/)
      .waitFor({ timeout: 30_000 });
    await page
      .getByRole('table', { name: 'Synchronization history' })
      .getByText('metadata')
      .first()
      .waitFor();

    await go(page, 'Updates', 'Updates');
    await page.getByLabel('Classification').selectOption({ label: 'Security Updates' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const table = page.getByRole('table', { name: /Updates, page 1/ });
    await table
      .getByRole('link', { name: /Security/ })
      .first()
      .waitFor();
    await page.getByLabel('Select all rows on this page').check();
    await page.getByLabel('Groups').selectOption(['Pilot']);
    await page.getByLabel('Deadline (optional)').fill('2030-01-15T18:00');
    await page.getByRole('button', { name: 'Preview approval' }).click();
    const preview = page.getByRole('region', { name: 'Preview' });
    await preview.getByText(/Dry run of approve: \d+ change\(s\) would be made/).waitFor();
    const repos = createRepositories(db.handle);
    assert.equal((await repos.approvals.listForUpdate(cat.sec)).length, 0, 'the preview changed nothing');
    await preview.getByRole('button', { name: 'Confirm approve' }).click();
    await page.getByText(/approve: \d+ change\(s\) made/).waitFor();
    const pilot = (await repos.groups.list()).find((g) => g.name === 'Pilot')!;
    const approvals = await repos.approvals.listForUpdate(cat.sec);
    assert.deepEqual(
      approvals.map((a) => [a.groupId, a.action, a.deadlineAt !== null]),
      [[pilot.groupId, 'install', true]],
    );
    await shot(page, 'updates');

    // A pilot computer scans and reports the security update installed: the group's compliance shows it.
    const { id, wua } = await client('Pilot');
    assert.equal(
      await wua.report(
        reportingEvent({
          clientId: id,
          instanceId: randomUUID(),
          eventId: 183,
          updateId: cat.sec,
          revisionNumber: 200,
          at: new Date(),
        }),
      ),
      true,
    );
    await go(page, 'Dashboard', 'Dashboard');
    await page.getByText(/^Pilot: \d+% \(/).waitFor();
    await shot(page, 'dashboard');
    await page.goto(`${base()}/updates/${cat.sec}`);
    await page
      .getByTestId('status-counts')
      .getByText(/installed: 1/i)
      .waitFor();
    await page.getByRole('table', { name: 'Approvals per group' }).getByText('Pilot').waitFor();
    await shot(page, 'update-detail');

    // Production: by KB-free search of the same update, then approve.
    await page.goto(`${base()}/updates`);
    await page.getByLabel('Search (title, KB or id)').fill(cat.sec);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByRole('table', { name: /Updates/ })
      .getByLabel(`Select ${cat.sec}`)
      .check();
    await page.getByLabel('Groups').selectOption(['Production']);
    await page.getByRole('button', { name: 'Preview approval' }).click();
    await page
      .getByRole('region', { name: 'Preview' })
      .getByRole('button', { name: 'Confirm approve' })
      .click();
    await page.getByText(/approve: 1 change\(s\) made/).waitFor();
    assert.equal((await repos.approvals.listForUpdate(cat.sec)).length, 2);

    // The replacement arrives and is approved for both groups: the safe rule may then decline cat.sec.
    up.catalog.put({
      identity: { updateId: replacement, revisionNumber: 200 },
      text: supersedingDocument(),
      listed: true,
    });
    await go(page, 'Synchronization', 'Synchronization');
    await page.getByRole('button', { name: 'Synchronize now' }).click();
    await page
      .getByTestId('job-state')
      .getByText(/sync succeeded/)
      .waitFor({ timeout: 30_000 });
    await createAdminServices(db.handle).approvals.approve(
      { selection: { updateIds: [replacement] }, groups: ['Pilot', 'Production'], action: 'install' },
      { via: 'cli', name: 'test' },
    );
    await go(page, 'Updates', 'Updates');
    await page.getByLabel('Superseded').selectOption('true');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByRole('table', { name: /Updates/ })
      .getByRole('link')
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Preview declining superseded updates' }).click();
    // The safe rule keeps it (the pilot approval has a deadline) and says so: the admin declines it by hand.
    const plan = page.getByRole('region', { name: 'Superseded updates' });
    await plan.getByText(/superseded update\(s\) would be declined/).waitFor();
    assert.match(await plan.innerText(), /^0 superseded update\(s\) would be declined\. 1 kept/);
    await plan.getByText(/kept: .*Security B — it has an approval with a deadline/).waitFor();
    assert.equal(await repos.approvals.isDeclined(cat.sec), false);
    await page
      .getByRole('table', { name: /Updates/ })
      .getByLabel(`Select ${cat.sec}`)
      .check();
    await page.getByRole('button', { name: 'Preview decline' }).click();
    const decline = page.getByRole('region', { name: 'Preview' });
    await decline
      .getByText(/Dry run of decline: 1 change\(s\) would be made; declined updates are hidden/)
      .waitFor();
    await decline.getByRole('button', { name: 'Confirm decline' }).click();
    await page.getByText(/decline: 1 change\(s\) made/).waitFor();
    assert.equal(await repos.approvals.isDeclined(cat.sec), true);
  });

  void test('the quarantine with its reason, and a rollback whose confirmation says what clients will see', async () => {
    await go(page, 'Catalog', 'Catalog');
    const quarantine = page.getByRole('table', { name: 'Quarantined revisions' });
    await quarantine.getByText(dangling).waitFor();
    await shot(page, 'catalog');
    await page.getByRole('button', { name: 'Preview rollback' }).click();
    const what = page.getByRole('region', { name: 'What clients will see' });
    await what
      .getByText(/Clients will be served generation 1 instead of 2: 1 update revision\(s\) no longer offered/)
      .waitFor();
    await what.getByText(/no longer offered: .*superseding/).waitFor();
    await what.getByRole('button', { name: 'Confirm rollback' }).click();
    await page.getByText(/clients are served generation 1 from their next scan, and it is pinned/).waitFor();
    await page
      .getByTestId('catalog-state')
      .getByText(/generation 1, pinned since/)
      .waitFor();
    await page.getByRole('button', { name: 'Unpin' }).click();
    await page
      .getByTestId('catalog-state')
      .getByText(/not pinned/)
      .waitFor();
  });

  void test('a CSRF attempt is refused and changes nothing; an expired session goes back to sign-in', async () => {
    const before = (await createRepositories(db.handle).approvals.listForUpdate(cat.secOther)).length;
    // Script on the console's own origin without the CSRF token (what a cross-site form amounts to).
    const forged = await page.evaluate(async (u) => {
      const r = await fetch('/api/v1/approvals', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ updateIds: [u], groups: ['Pilot'], action: 'install' }),
      });
      return { status: r.status, body: (await r.json()) as { code: string } };
    }, cat.secOther);
    assert.equal(forged.status, 403);
    assert.equal((await createRepositories(db.handle).approvals.listForUpdate(cat.secOther)).length, before);

    await db.handle.db
      .updateTable('admin_sessions' as never)
      .set({ expires_at: Date.now() - 1000 } as never)
      .execute();
    // The next API call answers 401: the console shows the sign-in page, saying why.
    await page
      .getByRole('navigation', { name: 'Console pages' })
      .getByRole('link', { name: 'Computers' })
      .click();
    await page.getByText('Your session ended (expired or signed out). Sign in again.').waitFor();
    await page.getByLabel('API token').waitFor();
    await signIn(page, tokens.admin);
  });

  void test('a reporter sees no approve controls, and the server refuses the change anyway', async () => {
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await signIn(p, tokens.reporter);
      await go(p, 'Updates', 'Updates');
      await p
        .getByRole('table', { name: /Updates, page 1/ })
        .getByRole('link')
        .first()
        .waitFor();
      assert.equal(await p.getByRole('button', { name: 'Preview approval' }).count(), 0);
      assert.equal(await p.getByRole('checkbox').count(), 0);
      await go(p, 'Synchronization', 'Synchronization');
      assert.equal(await p.getByRole('button', { name: 'Synchronize now' }).count(), 0);
      const refused = await p.evaluate(async (u) => {
        const s = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
        const r = await fetch('/api/v1/approvals', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken },
          body: JSON.stringify({ updateIds: [u], groups: ['Pilot'], action: 'install' }),
        });
        return r.status;
      }, cat.secOther);
      assert.equal(refused, 403);
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByText('Signed out.').waitFor();
    } finally {
      await ctx.close();
    }
  });

  void test('axe-core finds no violation on any page (and each page loads without a script error)', async () => {
    const pages: [string, string][] = [
      ['Dashboard', 'Dashboard'],
      ['Updates', 'Updates'],
      ['Computers', 'Computers'],
      ['Groups', 'Groups'],
      ['Synchronization', 'Synchronization'],
      ['Catalog', 'Catalog'],
      ['Rules', 'Automatic approval rules'],
      ['Rings and rollouts', 'Rings and rollouts'],
      ['Content', 'Content'],
      ['Downstream servers', 'Downstream servers'],
      ['Tokens', 'Tokens'],
      ['Audit log', 'Audit log'],
      ['Settings', 'Settings'],
    ];
    for (const [label, heading] of pages) {
      await go(page, label, heading);
      await page.waitForLoadState('networkidle');
      assert.equal(
        await page
          .getByRole('alert')
          .filter({ hasText: /PB_ERR_/ })
          .count(),
        0,
        `${label} shows a problem`,
      );
      await axe(page, label);
      if (['Computers', 'Groups', 'Synchronization', 'Audit log'].includes(label))
        await shot(page, label.toLowerCase().replaceAll(' ', '-'));
    }
    await page.goto(`${base()}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await axe(page, 'sign-in');
    await shot(page, 'sign-in');
    await signIn(page, tokens.admin);
  });

  void test('100,000 updates: the first page, the next pages and a filter come from the server', async () => {
    const n = 100_000;
    const inputs = Array.from({ length: n }, (_, i) =>
      syntheticRevision({
        updateId: `10000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        type: 'Software',
        title: `Bulk ${i}`,
      }),
    );
    const started = Date.now();
    await createRepositories(db.handle).revisions.upsertMany(inputs);
    const seeded = Date.now() - started;
    await page.goto(`${base()}/updates`);
    const rows = page.getByRole('table', { name: /Updates, page/ }).locator('tbody tr');
    await rows.nth(49).waitFor();
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('table', { name: 'Updates, page 2' }).waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('table', { name: 'Updates, page 3' }).waitFor();
    assert.equal(await rows.count(), 50);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByRole('table', { name: 'Updates, page 2' }).waitFor();
    await page.getByLabel('Search (title, KB or id)').fill('Bulk 99999');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByRole('table', { name: 'Updates, page 1' })
      .getByRole('link', { name: /Bulk 99999/ })
      .waitFor();
    const paging = Date.now() - t0;
    assert.equal(await rows.count(), 1);
    assert.ok(paging < 20_000, `paging and a filter over ${n} updates took ${paging} ms`);
    console.log(`# seeded ${n} updates in ${seeded} ms; two pages, back and a search in ${paging} ms`);
  });
});
