/**
 * Child-process HTTP client of `content-read.bench.ts`: fetches every 1 MiB piece of a file in shuffled
 * order over keep-alive connections (like Delivery Optimization) and reports bytes and wall time over IPC.
 * It runs in its own process so every server measured (nginx in its own process, the node servers in the
 * bench's process) has its thread to itself and none pays for the client's CPU.
 */
import { Pool } from 'undici';

export interface RangedReadJob {
  readonly origin: string;
  readonly path: string;
  readonly size: number;
  readonly passes: number;
  readonly connections: number;
}

export type RangedReadReply =
  | { readonly ok: true; readonly bytes: number; readonly ns: string }
  | { readonly ok: false; readonly error: string };

const MiB = 1 << 20;

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

export async function rangedReads(job: RangedReadJob): Promise<{ bytes: number; ns: bigint }> {
  const { origin, path, size, passes, connections } = job;
  const pool = new Pool(origin, { connections, pipelining: 1 });
  try {
    const pieces = Math.ceil(size / MiB);
    const order: number[] = [];
    for (let p = 0; p < passes; p++) order.push(...shuffled(pieces));
    let next = 0;
    let bytes = 0;
    const worker = async (): Promise<void> => {
      while (next < order.length) {
        const piece = order[next++] as number;
        const start = piece * MiB;
        const end = Math.min(size, start + MiB) - 1;
        const res = await pool.request({ path, method: 'GET', headers: { range: `bytes=${start}-${end}` } });
        if (res.statusCode !== 206) throw new Error(`${origin}${path}: status ${res.statusCode}`);
        for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: connections }, worker));
    const ns = process.hrtime.bigint() - t0;
    if (bytes !== passes * size) throw new Error(`short read: ${bytes} of ${passes * size}`);
    return { bytes, ns };
  } finally {
    await pool.close();
  }
}

if (process.send !== undefined) {
  process.on('message', (job: RangedReadJob | 'exit') => {
    if (job === 'exit') {
      process.disconnect();
      return;
    }
    rangedReads(job).then(
      ({ bytes, ns }) => process.send?.({ ok: true, bytes, ns: ns.toString() } satisfies RangedReadReply),
      (e: unknown) => process.send?.({ ok: false, error: String(e) } satisfies RangedReadReply),
    );
  });
}
