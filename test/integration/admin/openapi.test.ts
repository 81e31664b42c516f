/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- the OpenAPI document is untyped JSON. */
/**
 * /openapi.json describes every route the admin server has (compared with fastify's own route tree, an
 * independent listing), with the parameters and bodies the routes validate, bearer security except on the
 * public routes, and a problem+json answer for each error status. Also the reports routes over HTTP.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer } from '../../../src/http/index.js';
import { createServerApi } from '../../../src/operations/index.js';
import { createReportsService } from '../../../src/reports/index.js';
import { cleanupSettingsFrom, createCleanupService } from '../../../src/maintenance/index.js';
import { createRepositories, FsContentStore } from '../../../src/storage/index.js';
import { createCatalogRolloutService, storedCatalogRings } from '../../../src/sync/index.js';
import { openTestDatabase, seedCatalog } from '../../helpers/admin-db.js';
import { silentLogger } from './harness.js';

/** (METHOD path) pairs from `printRoutes` (a tree; HEAD is fastify's automatic twin of GET). */
function routesFromTree(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD'))
      out.push(`${method} ${path}`);
  }
  return out.sort();
}

void test('the OpenAPI 3.1 document describes every route of the admin server', async (t) => {
  const db = await openTestDatabase(t, 'sqlite');
  const config = await loadConfigOrThrow({ env: {} });
  const adminServices = createAdminServices(db.handle);
  const store = await FsContentStore.open(join(db.dir, 'content'));
  const app = await buildAdminServer({
    config,
    logger: silentLogger,
    readiness: [],
    adminServices,
    server: createServerApi({
      db: db.handle,
      config,
      store,
      services: adminServices,
      version: '0.0.0-test',
      databaseLocation: 'sqlite test',
    }),
    reports: createReportsService(createRepositories(db.handle)),
    cleanup: createCleanupService(
      db.handle,
      await FsContentStore.open(join(db.dir, 'content')),
      cleanupSettingsFrom(await loadConfigOrThrow({ env: {} })),
    ),
    catalogRollouts: createCatalogRolloutService(db.handle, {
      rings: storedCatalogRings(db.handle),
      logger: silentLogger,
    }),
  });
  t.after(() => app.close());
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');

  const described: string[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths))
    for (const method of Object.keys(ops))
      described.push(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
  // The console's static files (GET /*, src/http/console-static.ts) are not API and not described.
  const registered = routesFromTree(app.printRoutes({ commonPrefix: false })).filter((r) => r !== 'GET *');
  assert.ok(registered.length >= 40, `only ${registered.length} routes found in the tree`);
  assert.deepEqual(described.sort(), registered);

  for (const [path, ops] of Object.entries<any>(doc.paths))
    for (const [method, op] of Object.entries<any>(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(typeof op.summary === 'string' && op.summary.length > 5, `${where} has a summary`);
      assert.ok(
        Object.keys(op.responses).some((s) => s.startsWith('2')),
        `${where} documents its success`,
      );
      const isPublic = op.security.length === 0;
      if (path.startsWith('/api/')) {
        // Console sign-in is the one public API route: the token travels in its body.
        assert.equal(isPublic, where === 'POST /api/v1/session', `${where} needs a token`);
        for (const status of ['400', '401'])
          assert.equal(
            op.responses[status]?.content['application/problem+json'].schema.$ref,
            '#/components/schemas/Problem',
            `${where} ${status}`,
          );
        if (op['x-permission'] !== undefined) assert.ok(op.responses['403'], `${where} documents 403`);
      }
      for (const name of path.match(/\{([^}]+)\}/g) ?? [])
        assert.ok(
          op.parameters.some((p: any) => p.in === 'path' && `{${p.name}}` === name),
          `${where} describes ${name}`,
        );
      if (
        ['post', 'put', 'patch'].includes(method) &&
        path !== '/api/v1/groups/{group}/computers/{computerId}'
      )
        assert.ok(
          op.requestBody?.content['application/json'].schema.type === 'object',
          `${where} body schema`,
        );
    }
  // A route's schema in the document is the one fastify validates with: a body the document forbids is refused.
  const approve = doc.paths['/api/v1/approvals'].post;
  assert.equal(approve.requestBody.content['application/json'].schema.additionalProperties, false);
  assert.deepEqual(approve.requestBody.content['application/json'].schema.properties.action.enum, [
    'install',
    'uninstall',
    'not_approved',
  ]);
  assert.equal(approve['x-permission'], 'approvals:write');
});

void test('reports over HTTP: JSON and CSV, reports:read for every role, problem for bad filters', async (t) => {
  const db = await openTestDatabase(t, 'sqlite');
  await seedCatalog(db.handle);
  const services = createAdminServices(db.handle);
  const app = await buildAdminServer({
    config: await loadConfigOrThrow({ env: {} }),
    logger: silentLogger,
    readiness: [],
    adminServices: services,
    reports: createReportsService(createRepositories(db.handle)),
  });
  t.after(() => app.close());
  const { token } = await services.tokens.create(
    { name: 'exporter', role: 'connector' },
    { via: 'cli', name: 'test' },
  );
  const get = (url: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const json = await get('/api/v1/reports/updates?approval=any');
  assert.equal(json.statusCode, 200, json.body);
  const body = json.json();
  assert.equal(body.report, 'updates');
  assert.ok(Array.isArray(body.rows) && body.columns.length > 3);
  const csv = await get('/api/v1/reports/compliance/severity?format=csv');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.ok(csv.body.split('\n')[0]!.includes(','));
  for (const url of [
    '/api/v1/reports/computers',
    '/api/v1/reports/compliance/groups',
    '/api/v1/reports/sync',
  ])
    assert.equal((await get(url)).statusCode, 200, url);
  const bad = await get('/api/v1/reports/updates?format=xml');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'PB_ERR_INVALID_PARAMETER');
  const unknownGroup = await get('/api/v1/reports/computers?group=Nope');
  assert.ok(unknownGroup.statusCode >= 400 && unknownGroup.statusCode < 500);
  assert.match(String(unknownGroup.headers['content-type']), /problem\+json/);
});
