/**
 * A `patchbay.ini` for CLI processes on a test database (SQLite file or PostgreSQL database from
 * ../sync/harness.ts) against a fake upstream: the setup the racing-sync and catalog-pin tests share.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { databaseTarget } from '../sync/harness.js';

export async function writeSyncIni(
  dir: string,
  target: Awaited<ReturnType<typeof databaseTarget>>,
  upstreamUrl: string,
): Promise<void> {
  const database =
    target.driver === 'sqlite'
      ? `[database]\npath = ${target.path}\n`
      : `[database]\ndriver = postgres\nurl = ${target.connectionString}\n`;
  await writeFile(
    join(dir, 'patchbay.ini'),
    `[server]\ndata_dir = ${join(dir, 'data')}\n${database}[upstream]\nurl = ${upstreamUrl}\nretries = 1\n`,
  );
}
