/**
 * The web console in a real browser for the tests and the benchmark: the console built by Vite (again only
 * when a source file is newer than the build), and Debian's chromium driven by playwright-core. No browser
 * is ever downloaded: without /usr/bin/chromium the callers skip, saying so.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const consoleDist = join(repo, 'dist', 'console');
export const chromiumPath = process.env['PATCHBAY_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(chromiumPath)
    ? undefined
    : `chromium not found at ${chromiumPath} (apt-get install chromium; scripts/test-all.sh installs it)`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs the console's Vite build (what `npm run build` does) unless dist/console is newer than console/. */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = join(consoleDist, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(repo, 'console'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(repo, 'console', 'vite.config.ts'), logLevel: 'warn' });
}

/** axe-core's source, injected into the page (the CSP allows it: playwright evaluates, no inline script). */
export const axeSource = (): string =>
  readFileSync(join(repo, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
