/**
 * `patchbay serve --connector-config FILE`: the connector instance runs on its schedule inside the server
 * (the shared job scheduler), reading the server's own database, until the reference receiver acknowledged
 * a run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, spawnCli } from '../../helpers/cli.js';
import { startReceiver, tempDir, writeIni } from './harness.js';

void test('serve runs the connector on its schedule', { timeout: 60_000 }, async (t) => {
  const cwd = tempDir(t);
  const receiver = await startReceiver(t, tempDir(t));
  writeIni(
    cwd,
    { driver: 'sqlite', path: 'unused-under-serve.db' },
    [{ name: 'main', url: receiver.url, groups: ['All Computers'], extra: { schedule: '* * * * * *' } }],
    { log_severity: 'info' },
  );
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const child = spawnCli(['serve', '--connector-config', 'connector.ini'], {
    cwd,
    env: {
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(httpPort),
      PATCHBAY_ADMIN_PORT: String(adminPort),
      PATCHBAY_LOG_FORMAT: 'json',
    },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + 45_000;
  while (!receiver.events().some((e) => e.event === 'stop') && Date.now() < deadline) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const events = receiver.events().map((e) => e.event);
  assert.ok(events.includes('stop'), `no acknowledged run\n${out.slice(-3000)}`);
  assert.deepEqual(events.slice(0, 2), ['authorize', 'start']);
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.equal(code, 0, out.slice(-2000));
  assert.match(out, /"msg":"connector run finished"/);
});
