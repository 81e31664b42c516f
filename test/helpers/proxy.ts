/**
 * A real forward HTTP proxy on loopback for tests: Debian's `tinyproxy`, started in the foreground with a temp
 * config (own port, own log file, optional Basic auth), stopped by its own pid on cleanup. Tests assert the proxy
 * really carried the traffic from its log (`Request ... GET http://...` for forwarded requests, `CONNECT host:port`
 * for tunnels) and, for forwarded requests, from the `Via` header the origin receives.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_PROXY_VIA_NAME = 'patchbay-test-proxy';

export interface TestProxy {
  /** `http://127.0.0.1:<port>` (no credentials). */
  url: string;
  port: number;
  /** The proxy's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Why proxy tests cannot run here, or undefined when they can. Missing tinyproxy fails in CI (the test script
 * installs it) and skips locally with a loud message.
 */
export function proxySkipReason(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v tinyproxy'], { stdio: 'ignore' }).status === 0) return undefined;
  const msg = 'tinyproxy not found: install the Debian `tinyproxy` package (scripts/test-all.sh does)';
  if (process.env.CI) throw new Error(`${msg} (required in CI)`);
  process.stderr.write(`\n!!!!!!!! SKIPPING proxy tests: ${msg} !!!!!!!!\n\n`);
  return msg;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startTinyproxy(
  options: { basicAuth?: { user: string; password: string } } = {},
): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-proxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  // The port can be taken between freePort() and tinyproxy's bind; try a few times.
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    const conf = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${logFile}"`,
      'LogLevel Connect',
      'MaxClients 50',
      `ViaProxyName "${TEST_PROXY_VIA_NAME}"`,
      ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'tinyproxy.conf'), conf);
    const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const started = Date.now();
    while (!exited && Date.now() - started < 5000) {
      if (await canConnect(port)) {
        return {
          url: `http://127.0.0.1:${port}`,
          port,
          log: () => {
            try {
              return readFileSync(logFile, 'utf8');
            } catch {
              return '';
            }
          },
          stop: async () => {
            if (!exited) {
              const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
              child.kill('SIGTERM');
              await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
              if (!exited) child.kill('SIGKILL');
            }
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!exited) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('tinyproxy did not start');
}
