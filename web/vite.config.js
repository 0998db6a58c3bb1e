// Builds the static site into web/dist. The engine module (engine/strata-engine.{js,wasm})
// and the models are copied in unchanged by scripts/build-site.sh; the worker imports the
// engine by a fixed path at run time, so Vite never inlines or renames the .wasm.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  worker: { format: 'es' },
});
