/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- API answers are untyped JSON; the assertions check their shape. */
/**
 * Console sign-in on SQLite and PostgreSQL: the token-for-cookie exchange (cookie attributes), CSRF on
 * cookie changes (bearer callers unaffected), an expired session, sign-out, revoked tokens ending their
 * sessions, security headers, and the static console never shadowing the API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { adminDrivers, stopAdminPostgres } from '../../helpers/admin-db.js';
import { startApi } from '../admin/harness.js';

after(stopAdminPostgres);

for (const driver of adminDrivers()) {
  void describe(`console session on ${driver}`, () => {
    void test('sign-in, CSRF, expiry, sign-out, headers, static fallback', async (t) => {
      const h = await startApi(t, driver);
      const signIn = await h.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { token: h.tokens.reporter },
      });
      assert.equal(signIn.statusCode, 201, signIn.body);
      const setCookie = String(signIn.headers['set-cookie']);
      assert.match(
        setCookie,
        /^pb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
      );
      const cookie = setCookie.split(';', 1)[0]!;
      const session = signIn.json();
      assert.equal(session.name, 'reporter-token');
      assert.deepEqual(session.roles, ['reporter']);
      // Only the hash is stored.
      const rows = await h.db.handle.db.selectFrom('admin_sessions').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.ok(!Buffer.from(rows[0]!.session_hash).toString('utf8').includes(cookie.slice(11)));

      const https = await h.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { token: h.tokens.admin },
      });
      assert.match(String(https.headers['set-cookie']), /; Secure$/);
      const adminCookie = String(https.headers['set-cookie']).split(';', 1)[0]!;
      const adminCsrf = https.json().csrfToken as string;

      const bad = await h.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { token: 'pb_nope' },
      });
      assert.equal(bad.statusCode, 401);

      // Reads with the cookie; the reporter's role still applies.
      const who = await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { cookie } });
      assert.equal(who.json().name, 'reporter-token');
      const again = await h.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      assert.equal(again.json().csrfToken, session.csrfToken);
      const forbidden = await h.app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: { cookie, 'x-csrf-token': session.csrfToken },
        payload: { name: 'Pilot' },
      });
      assert.equal(forbidden.statusCode, 403);

      // A change with the cookie but without (or with a wrong) CSRF token is refused and changes nothing.
      const before = await h.fingerprint();
      for (const csrf of [undefined, 'x'.repeat(43), session.csrfToken]) {
        const r = await h.app.inject({
          method: 'POST',
          url: '/api/v1/groups',
          headers: { cookie: adminCookie, ...(csrf !== undefined ? { 'x-csrf-token': csrf } : {}) },
          payload: { name: 'Pilot' },
        });
        assert.equal(r.statusCode, 403, r.body);
        assert.match(r.json().detail, /CSRF/);
      }
      assert.deepEqual(await h.fingerprint(), before);
      const ok = await h.app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: { cookie: adminCookie, 'x-csrf-token': adminCsrf },
        payload: { name: 'Pilot' },
      });
      assert.equal(ok.statusCode, 201, ok.body);
      // Bearer callers need no CSRF token, even when a cookie is sent along.
      const bearer = await h.call('POST', '/api/v1/groups', { body: { name: 'Production' } });
      assert.equal(bearer.statusCode, 201, bearer.body);

      // Expired session: 401, the console asks to sign in again.
      await h.db.handle.db
        .updateTable('admin_sessions')
        .set({ expires_at: Date.now() - 1 })
        .execute();
      const expired = await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { cookie } });
      assert.equal(expired.statusCode, 401);
      assert.match(expired.json().detail, /sign in again/);

      // Sign-out ends the session; revoking a token ends its sessions.
      const s2 = await h.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { token: h.tokens.approver },
      });
      const c2 = String(s2.headers['set-cookie']).split(';', 1)[0]!;
      const out = await h.app.inject({
        method: 'DELETE',
        url: '/api/v1/session',
        headers: { cookie: c2, 'x-csrf-token': s2.json().csrfToken },
      });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
      assert.equal(
        (await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { cookie: c2 } })).statusCode,
        401,
      );
      const s3 = await h.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { token: h.tokens.connector },
      });
      const c3 = String(s3.headers['set-cookie']).split(';', 1)[0]!;
      assert.equal((await h.call('DELETE', '/api/v1/tokens/connector-token')).statusCode, 200);
      assert.equal(
        (await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { cookie: c3 } })).statusCode,
        401,
      );

      // Security headers on the API.
      assert.equal(who.headers['x-content-type-options'], 'nosniff');
      assert.equal(who.headers['referrer-policy'], 'no-referrer');
      assert.match(String(who.headers['content-security-policy']), /frame-ancestors 'none'/);
    });

    void test('the console is served at / with an SPA fallback that never shadows the API', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'pb-console-'));
      mkdirSync(join(dir, 'assets'));
      writeFileSync(
        join(dir, 'index.html'),
        '<!doctype html><title>Patchbay</title><script type="module" src="/assets/a.js"></script>',
      );
      writeFileSync(join(dir, 'assets', 'a.js'), 'export {};');
      const h = await startApi(t, driver, { consoleDir: dir });
      for (const url of ['/', '/updates', '/computers/abc']) {
        const r = await h.app.inject({ method: 'GET', url });
        assert.equal(r.statusCode, 200, url);
        assert.match(String(r.headers['content-type']), /^text\/html/);
        const csp = String(r.headers['content-security-policy']);
        assert.match(csp, /script-src 'self'/);
        assert.doesNotMatch(csp, /unsafe-inline/);
        assert.match(csp, /frame-ancestors 'none'/);
      }
      const js = await h.app.inject({ method: 'GET', url: '/assets/a.js' });
      assert.match(String(js.headers['content-type']), /^text\/javascript/);
      assert.equal((await h.app.inject({ method: 'GET', url: '/assets/../index.html' })).statusCode, 200);
      assert.equal(
        (await h.app.inject({ method: 'GET', url: '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd' })).statusCode,
        404,
      );
      const api404 = await h.app.inject({
        method: 'GET',
        url: '/api/v1/no-such-route',
        headers: { authorization: `Bearer ${h.tokens.admin}` },
      });
      assert.equal(api404.statusCode, 404);
      assert.doesNotMatch(String(api404.headers['content-type']), /text\/html/);
      for (const url of ['/metrics', '/healthz/x', '/openapi.json/x'])
        assert.doesNotMatch(
          String((await h.app.inject({ method: 'GET', url })).headers['content-type']),
          /text\/html/,
          url,
        );
      const openapi = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.equal(openapi.paths['/*'], undefined);
      assert.ok(openapi.paths['/api/v1/session']);
    });
  });
}
