import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '../../helpers/fixtures.js';

export interface Exchange {
  readonly dir: string;
  readonly requestHeaders: Map<string, string>;
  readonly responseHeaders: Map<string, string>;
  readonly status: number;
  readonly requestBody: Buffer;
  readonly responseBody: Buffer;
}

function headers(text: string): { status: number; map: Map<string, string> } {
  const lines = text.split(/\r?\n/);
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(lines[0] ?? '')?.[1] ?? 0);
  const map = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) map.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  return { status, map };
}

/** Every recorded SOAP exchange under test/fixtures/wsus (folders with request.body). */
export function soapExchanges(): Exchange[] {
  const out: Exchange[] = [];
  const walk = (dir: string): void => {
    const names = readdirSync(dir);
    if (names.includes('request.body') && names.includes('response.body')) {
      const req = headers(readFileSync(join(dir, 'request.headers'), 'utf8'));
      const res = headers(readFileSync(join(dir, 'response.headers'), 'utf8'));
      out.push({
        dir,
        requestHeaders: req.map,
        responseHeaders: res.map,
        status: res.status,
        requestBody: readFileSync(join(dir, 'request.body')),
        responseBody: readFileSync(join(dir, 'response.body')),
      });
      return;
    }
    for (const n of names.sort()) if (statSync(join(dir, n)).isDirectory()) walk(join(dir, n));
  };
  walk(fixturePath('wsus'));
  return out;
}
