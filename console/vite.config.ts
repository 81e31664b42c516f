// The console build (docs/console.md): `npm run build` writes dist/console, which the admin port serves.
// No module-preload polyfill: it would be the only inline-ish helper, and every browser we target has it.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into scripts; the CSP allows 'self' files.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
