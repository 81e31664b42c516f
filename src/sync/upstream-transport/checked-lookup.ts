import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AppError } from '../../errors.js';

/**
 * A DNS lookup for sockets that refuses the connection when any address it found fails `check`: the address
 * rule applied when the socket opens, not only when the URL was checked a moment before (DNS rebinding).
 * IP literals never reach a lookup; the URL check covers them.
 */
export function checkedLookup(
  check: (host: string, address: string) => Promise<AppError | undefined>,
  base: LookupFunction = dnsLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '', 0);
      const addresses = found as unknown as LookupAddress[];
      void (async () => {
        for (const a of addresses) {
          const refusal = await check(hostname, a.address);
          if (refusal !== undefined) return callback(refusal, '', 0);
        }
        if (options.all === true) return callback(null, addresses, 0);
        const first = addresses[0];
        if (first === undefined)
          return callback(
            Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
            0,
          );
        callback(null, first.address, first.family);
      })().catch((e: unknown) => callback(e as NodeJS.ErrnoException, '', 0));
    });
  };
}
