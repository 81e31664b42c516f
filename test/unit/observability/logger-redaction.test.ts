import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  componentLogger,
  createLogger,
  requestLogger,
  syncRunLogger,
} from '../../../src/observability/index.js';

/** A logger writing JSON lines into memory, and the parsed records. */
function memoryLogger(format: 'json' | 'pretty' = 'json') {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', format, destination, isTty: false });
  const text = () => chunks.join('');
  const records = () =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, text, records };
}

const secrets = [
  'c00kie-value',
  'ENCRYPTED-BLOB',
  'cookie-data-b64',
  'tok-123',
  'hunter2',
  'Basic YWxpY2U6cHc=',
  'proxy-pw',
];

void test('secrets are redacted at any depth: cookies, EncryptedData, CookieData, tokens, passwords, auth headers', () => {
  const { logger, text, records } = memoryLogger();
  logger.info(
    {
      req: {
        headers: {
          cookie: 'c00kie-value',
          authorization: 'Basic YWxpY2U6cHc=',
          'user-agent': 'Windows-Update-Agent',
        },
      },
      soap: {
        GetCookie: { EncryptedData: 'ENCRYPTED-BLOB', Expiration: '2030-01-01' },
        Cookie: { EncryptedData: 'ENCRYPTED-BLOB' },
        CookieData: 'cookie-data-b64',
      },
      accessToken: 'tok-123',
      config: {
        database: { password: 'hunter2' },
        upstream: { proxyPassword: 'proxy-pw', proxyUrl: 'http://proxy:3128/' },
      },
    },
    'request',
  );
  const out = text();
  for (const s of secrets) assert.ok(!out.includes(s), `leaked ${s}: ${out}`);
  const [r] = records();
  const req = r?.req as { headers: Record<string, string> };
  assert.equal(req.headers.cookie, '[redacted]');
  assert.equal(req.headers['user-agent'], 'Windows-Update-Agent', 'non-secrets stay');
  const soap = r?.soap as { GetCookie: Record<string, string>; CookieData: string };
  assert.equal(soap.GetCookie.Expiration, '2030-01-01');
  assert.equal(soap.GetCookie.EncryptedData, '[redacted]');
  assert.equal(soap.CookieData, '[redacted]');
  assert.equal((r?.soap as { Cookie: unknown }).Cookie, '[redacted]', 'the whole WSUS Cookie element');
  assert.equal(r?.msg, 'request');
});

void test('credentials inside URLs are redacted in fields, messages and error messages/stacks', () => {
  const { logger, text, records } = memoryLogger();
  logger.warn({ proxy: 'http://alice:proxy-pw@proxy.example:3128/' }, 'via http://bob:hunter2@proxy/');
  logger.error(
    { err: new Error('connect failed http://alice:proxy-pw@proxy.example:3128') },
    'upstream failed',
  );
  const out = text();
  assert.ok(!out.includes('proxy-pw') && !out.includes('hunter2'), out);
  const [warn, err] = records();
  assert.equal(warn?.proxy, 'http://alice:[redacted]@proxy.example:3128/');
  assert.equal(warn?.msg, 'via http://bob:[redacted]@proxy/');
  assert.match(String((err?.err as { message: string }).message), /alice:\[redacted\]@proxy/);
});

void test('child loggers carry reqId, syncRunId and component, and their bindings are scrubbed too', () => {
  const { logger, text, records } = memoryLogger();
  const http = componentLogger(logger, 'http');
  requestLogger(http, 'req-7').info('handled');
  syncRunLogger(logger, 42).info('sync step');
  logger.child({ component: 'x', token: 'tok-123', nested: { password: 'hunter2' } }).info('bound');
  assert.ok(!text().includes('tok-123') && !text().includes('hunter2'), text());
  const [a, b, c] = records();
  assert.equal(a?.component, 'http');
  assert.equal(a?.reqId, 'req-7');
  assert.equal(b?.syncRunId, '42');
  assert.equal(c?.token, '[redacted]');
});

void test('the caller object is not mutated by redaction', () => {
  const { logger } = memoryLogger();
  const obj = { headers: { authorization: 'Bearer tok-123' } };
  logger.info(obj, 'x');
  assert.equal(obj.headers.authorization, 'Bearer tok-123');
});

void test('pretty format redacts as well and is not JSON', () => {
  const { logger, text } = memoryLogger('pretty');
  logger.info({ password: 'hunter2', EncryptedData: 'ENCRYPTED-BLOB' }, 'pretty line');
  assert.ok(text().includes('pretty line'));
  assert.ok(!text().includes('hunter2') && !text().includes('ENCRYPTED-BLOB'), text());
  assert.throws(() => JSON.parse(text().split('\n')[0] ?? ''));
});

void test('a child rebinding a key of its parent (component) writes it once, with the child value', () => {
  const { logger, text, records } = memoryLogger();
  const jobs = componentLogger(logger, 'jobs');
  const transport = componentLogger(requestLogger(jobs, 'req-1'), 'upstream-transport');
  transport.info('connect');
  transport.child({ reqId: 'req-2', token: 'tok-123' }, { level: 'debug' }).debug('retry');
  jobs.info('parent unchanged');
  const lines = text()
    .split('\n')
    .filter((l) => l !== '');
  for (const line of lines) assert.equal(line.split('"component":').length, 2, line);
  assert.equal(lines[1]?.split('"reqId":').length, 2, lines[1]);
  const [a, b, c] = records();
  assert.deepEqual([a?.component, a?.reqId], ['upstream-transport', 'req-1']);
  assert.deepEqual([b?.component, b?.reqId, b?.token], ['upstream-transport', 'req-2', '[redacted]']);
  assert.equal(c?.component, 'jobs');
});

void test('an upstream fault logged as err: its detail (error-like: it has a message) serializes, the log call never throws', async () => {
  const { upstreamFaultError } = await import('../../../src/protocol/server-sync/index.js');
  const { logger, records } = memoryLogger();
  const err = upstreamFaultError({
    errorCode: 'InvalidCookie',
    message: 'the cookie is not valid',
    code: 'Client',
    id: undefined,
    operation: 'GetRollupConfiguration',
  });
  // Seen in `patchbay sync`: a failed roll-up's warning threw "object is not extensible" and failed the sync.
  logger.warn({ err, code: err.code }, 'reporting roll-up failed');
  logger.warn({ err }, 'again: the serializer cleaned up after itself');
  const [first, second] = records();
  assert.equal((first!.err as { message: string }).message, err.message);
  assert.equal((first!.err as { detail: { errorCode: string } }).detail.errorCode, 'InvalidCookie');
  assert.ok(second);
});
