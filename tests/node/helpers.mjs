// Shared helpers for the node tests: paths, running the native CLI, and
// loading the wasm engine module the way a page would (given its bytes).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const strataBin = process.env.STRATA_BIN ?? join(root, 'build/native/strata');
export const engineDir = process.env.STRATA_ENGINE_DIR ?? join(root, 'build/wasm/bindings');
export const parityDir = join(root, 'tests/data/parity');

// Runs `strata ARGS...`; returns {status, stdout, stderr, json?}.
export function strata(...args) {
  const r = spawnSync(strataBin, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  if (r.status === 0 && args.includes('--json')) out.json = JSON.parse(r.stdout);
  return out;
}

// module: 'strata-engine' (the full engine) or 'strata-engine-core' (the prediction engine alone).
export async function loadEngineModule(module = 'strata-engine') {
  const { default: createStrataEngine } = await import(pathToFileURL(join(engineDir, `${module}.js`)).href);
  return createStrataEngine({ wasmBinary: readFileSync(join(engineDir, `${module}.wasm`)) });
}

export function readModelFiles(dir) {
  const tokenizerPath = join(dir, 'tokenizer.json');
  let tokenizer = null;
  try { tokenizer = readFileSync(tokenizerPath, 'utf8'); } catch { /* no tokenizer */ }
  return {
    config: readFileSync(join(dir, 'config.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
    tokenizer,
  };
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
