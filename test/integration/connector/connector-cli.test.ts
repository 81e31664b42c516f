/**
 * `patchbay connector check | run` in process through runCli: malformed INI files are reported with their INI
 * paths and exit 78; a run whose groups are all refused sends nothing and exits 77 with a summary; secrets
 * never reach the log.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import { maxConnectorIniBytes } from '../../../src/connectors/index.js';
import { seed, sqliteDb, startReceiver, tempDir, writeIni } from './harness.js';

async function cli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env, cwd };
  const code = await runCli(args, io);
  return { code, out, err };
}

const valid = [
  '[source]',
  'driver = sqlite',
  'path = ./patchbay.db',
  '',
  '[instance:main]',
  'server = assets.example.com',
  'groups = Servers, Workstations',
].join('\n');

void test('connector check accepts a valid file and lists the instances', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'connector.ini'), `${valid}\n`);
  const r = await cli(['connector', 'check'], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /connector configuration OK: main -> https:\/\/assets\.example\.com:443 \(2 groups\)/);
});

const malformed: [string, string, RegExp][] = [
  [
    'typo in a key',
    `${valid}\ngrups = x`,
    /^instance:main\.grups: unknown key \(did you mean groups\?\) \(c\.ini line 8\)$/m,
  ],
  [
    'port out of range',
    `${valid}\nport = 99999`,
    /^instance:main\.port: expected an integer 0\.\.65535, got "99999"/m,
  ],
  [
    'a secret in the file',
    `${valid}\ntoken = abc`,
    /^instance:main\.token: secrets are not accepted in the file; use token_env or token_file/m,
  ],
  ['__proto__ key', `${valid}\n__proto__ = 1`, /^instance:main\.__proto__: key name is not allowed/m],
  [
    'duplicate key',
    `${valid}\nserver = other`,
    /^instance:main\.server: set more than once \(lines 6 and 8\)/m,
  ],
  [
    'missing server and groups',
    '[instance:x]\nssl = false',
    /^instance:x\.server: required[\s\S]*^instance:x\.groups: required/m,
  ],
  [
    'unknown section',
    `${valid}\n[instanse:y]\nserver = a`,
    /^instanse:y: unknown section \(known: \[connector\], \[source\], \[instance:NAME\]\)/m,
  ],
  [
    'bad instance name',
    `${valid}\n[instance:a b]\nserver = a`,
    /^instance:a b: instance names are 1-64 letters/m,
  ],
  ['no instance', '[source]\ndriver = sqlite', /^\(file\): no \[instance:NAME\] section/m],
  // An empty section is still an instance, one missing its required keys (not "no instance").
  ['empty instance section', `${valid}\n[instance:bare]`, /^instance:bare\.server: required/m],
  [
    'token variable not set',
    `${valid}\nauth = bearer\ntoken_env = NOPE_TOKEN`,
    /^instance:main\.token_env: environment variable NOPE_TOKEN is not set or empty/m,
  ],
  [
    'bad cron schedule',
    `${valid}\nschedule = every day`,
    /^instance:main\.schedule: not a valid cron expression/m,
  ],
  ['bad enum', `${valid}\nformat = xml`, /^instance:main\.format: expected one of jsonl, csv, got "xml"/m],
  [
    'bad item',
    `${valid}\nitems = updates, printers`,
    /^instance:main\.items: expected updates or computers, got "printers"/m,
  ],
  [
    'bad severity',
    `${valid}\n[connector]\nlog_severity = loud`,
    /^connector\.log_severity: expected one of debug, verbose, info, warning, error/m,
  ],
  [
    'postgres without url',
    `${valid}\n`.replace('driver = sqlite', 'driver = postgres'),
    /^source\.url: required when driver = postgres/m,
  ],
  [
    'password in the postgres url',
    `${valid}\n`.replace('driver = sqlite', 'driver = postgres\nurl = postgres://u:pw@h/db'),
    /^source\.url: must not contain the password/m,
  ],
  ['setting outside a section', `stray = 1\n${valid}`, /^stray: setting outside a section/m],
  [
    'basic auth without password',
    `${valid}\nauth = basic\nusername = u`,
    /^instance:main\.password_env: auth = basic needs password_env or password_file/m,
  ],
];

void test('connector check: an unset token variable is the one problem reported, not also "needs token_env"', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c.ini'), `${valid}\nauth = bearer\ntoken_env = NOPE_TOKEN\n`);
  const r = await cli(['-c', 'c.ini', 'connector', 'check'], dir);
  assert.equal(r.code, 78, r.err);
  assert.deepEqual(
    r.err.split('\n').filter((l) => l.startsWith('instance:')),
    [r.err.split('\n').find((l) => l.startsWith('instance:main.token_env: environment variable NOPE_TOKEN'))],
    r.err,
  );
  assert.doesNotMatch(r.err, /needs token_env or token_file/);
});

void test('malformed connector INI files: every problem named by its INI path, exit 78', async (t) => {
  for (const [what, text, expected] of malformed) {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'c.ini'), `${text}\n`);
    const r = await cli(['-c', 'c.ini', 'connector', 'check'], dir);
    assert.equal(r.code, 78, `${what}: ${r.err}`);
    assert.match(r.err, expected, `${what}:\n${r.err}`);
    // `connector run` refuses the same file with the same exit code before touching anything.
    const run = await cli(['-c', 'c.ini', 'connector', 'run'], dir);
    assert.equal(run.code, 78, what);
    assert.match(run.err, /PB_ERR_CONFIG_INVALID/);
  }
});

void test('unreadable connector INI files: binary, oversized, missing, a directory', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bin.ini'), Buffer.from([0x5b, 0xff, 0xfe, 0x5d]));
  writeFileSync(join(dir, 'big.ini'), `; ${'x'.repeat(maxConnectorIniBytes)}\n`);
  const cases: [string, RegExp][] = [
    ['bin.ini', /not valid UTF-8/],
    ['big.ini', /the limit is 262144 bytes/],
    ['missing.ini', /cannot open the configuration file: no such file/],
    ['.', /not a regular file|is a directory/],
  ];
  for (const [file, expected] of cases) {
    const r = await cli(['-c', file, 'connector', 'check'], dir);
    assert.equal(r.code, 78, file);
    assert.match(r.err, expected, file);
  }
  const none = await cli(['connector', 'check'], dir);
  assert.equal(none.code, 64, 'no -c and no ./connector.ini is a usage error');
});

void test('connector run: every group refused -> nothing sent, exit 77, summary printed, token never logged', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 2, computers: 6, groups: ['Servers'] });
  await handle.close(); // the CLI opens the database itself
  const receiver = await startReceiver(t, tempDir(t), { token: 'tok-123456', refuseGroups: ['Servers'] });
  const log = join(dir, 'connector.log');
  writeIni(
    dir,
    { driver: 'sqlite', path },
    [
      {
        name: 'main',
        url: receiver.url,
        groups: ['Servers'],
        extra: { auth: 'bearer', token_env: 'CONN_TOKEN' },
      },
    ],
    { log_severity: 'Verbose', log_file: log },
  );
  const r = await cli(['-c', 'connector.ini', 'connector', 'run'], dir, { CONN_TOKEN: 'tok-123456' });
  assert.equal(r.code, 77, r.err);
  assert.match(r.out, /instance main: refused/);
  assert.match(r.out, /group "Servers": refused - group "Servers" is not licensed/);
  assert.match(r.err, /PB_ERR_CONNECTOR_UNAUTHORIZED: main\/Servers: .*nothing was sent/);
  assert.deepEqual(
    receiver.events().map((e) => e.event),
    ['authorize'],
  );
  const text = readFileSync(log, 'utf8');
  assert.match(text, /"level":"trace"/, 'Verbose maps to the most detailed level');
  assert.match(text, /connector run finished/);
  assert.ok(!text.includes('tok-123456'), 'the token never reaches the log');

  // A wrong token: the target answers 401, the run fails with exit 77 and no retries.
  const wrong = await cli(['-c', 'connector.ini', 'connector', 'run'], dir, { CONN_TOKEN: 'wrong' });
  assert.equal(wrong.code, 77);
  assert.match(wrong.err, /HTTP 401/);
});
