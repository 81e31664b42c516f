/**
 * One backup or restore per folder at a time: a lock file holding the owner's pid. A lock left by a process
 * that no longer runs (kill -9, power loss) is taken over, so an interrupted run never blocks the next one.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';

const lockName = '.patchbay-lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFolderLock<T>(dir: string, what: string, fn: () => Promise<T>): Promise<T> {
  const path = join(dir, lockName);
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n${what}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw busy(dir);
        throw new AppError('PB_ERR_FILESYSTEM', `cannot lock ${dir}: ${(e as Error).message}`, { cause: e });
      }
      const [pidText, owner] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw busy(dir, `${owner ?? 'another run'} (pid ${pid})`);
      await rm(path, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

function busy(dir: string, who = 'another run'): AppError {
  return new AppError('PB_ERR_CONFLICT', `${dir} is in use by ${who}: wait for it to finish`);
}
