/**
 * CLI polish (issue 10, item 14): a reader closing the pipe (`| head`) ends the command quietly; printed
 * instructions use the configured port, not the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import { spawnCli } from '../../helpers/cli.js';

void test('stdout closed by the reader (| head): exit 0, no EPIPE stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-epipe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const child = spawnCli(['--help'], { cwd: dir });
  // Close the reading end before the child writes: every write it makes then fails with EPIPE.
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '', 'nothing on stderr');
  assert.equal(code, 0);
});

void test('tls selfsigned prints the configured https_port, not 8531', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-tls-port-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { PATCHBAY_SERVER_DATA_DIR: join(dir, 'data'), PATCHBAY_SERVER_HTTPS_PORT: '9443' },
    cwd: dir,
  };
  const code = await runCli(['tls', 'selfsigned', '--name', 'wsus.lab.test'], io);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /HTTPS on server\.https_port, 9443 in this configuration/);
  assert.match(stdout, /point WUServer\/WUStatusServer at https:\/\/wsus\.lab\.test:9443\./);
  assert.ok(!stdout.includes('8531'), stdout);
});
