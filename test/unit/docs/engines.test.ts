/**
 * The README promises Node.js >= the `engines` floor of package.json: every package `npm ci` installs must
 * accept that version, or npm warns EBADENGINE on every install and the package may use APIs the promised
 * Node does not have (cookie@2 needs Node 22; light-my-request is pinned to 6.6.0 through `overrides` for it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import semver from 'semver';

const root = new URL('../../../', import.meta.url);
const read = (name: string): unknown => JSON.parse(readFileSync(new URL(name, root), 'utf8'));

void test('every locked package supports the lowest Node.js version the README promises', () => {
  const pkg = read('package.json') as { engines: { node: string } };
  const floor = semver.minVersion(pkg.engines.node);
  assert.ok(floor !== null, 'package.json engines.node is a range');
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  assert.ok(
    readme.includes(`Node.js >= ${pkg.engines.node.replace(/^>=\s*/, '')}`),
    'README states the same floor',
  );
  const lock = read('package-lock.json') as {
    packages: Record<string, { version?: string; engines?: unknown }>;
  };
  const refusing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const engines = entry.engines as { node?: string } | undefined;
    const range = engines?.node;
    if (path === '' || typeof range !== 'string') continue;
    if (!semver.satisfies(floor, range)) refusing.push(`${path}@${entry.version ?? '?'} needs node ${range}`);
  }
  assert.deepEqual(refusing, [], refusing.join('\n'));
});
