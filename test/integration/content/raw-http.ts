import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header pairs in wire order, names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

/**
 * Send bytes exactly as given (no client-side URL normalisation, unlike fetch/undici) and read one
 * response: headers, then Content-Length bytes (or until close). A socket closed before any status line
 * (the HTTP parser refusing the request outright) is reported as status 0.
 */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => finish(new Error('raw request timed out')), timeoutMs);
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) {
        reject(err);
        return;
      }
      const all = Buffer.concat(parts);
      const headEnd = all.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        resolve({ status: 0, headers: [], body: all });
        return;
      }
      const lines = all.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers = lines.slice(1).map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()] as const;
      });
      resolve({ status, headers, body: all.subarray(headEnd + 4) });
    };
    const tryComplete = (): void => {
      const all = Buffer.concat(parts);
      const headEnd = all.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = all.subarray(0, headEnd).toString('latin1');
      const isHead = /^HEAD /.test(typeof request === 'string' ? request : request.toString('latin1'));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const bodyLen = isHead || status === 304 ? 0 : m ? Number(m[1]) : undefined;
      if (bodyLen !== undefined && all.length - headEnd - 4 >= bodyLen) finish();
    };
    sock.on('data', (d: Buffer) => {
      parts.push(d);
      tryComplete();
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => {
      // A reset after the server refused the request still counts as a (refused) answer.
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') finish();
      else finish(e);
    });
    sock.write(request);
  });
}

export function headerOf(r: RawResponse, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
