// The benchmark page: the engine module and ONNX Runtime Web side by side in
// one page, same origin, one thread each (the threaded module only in `threads`). tests/bench/browser-bench.mjs serves
// it (/engine/, /ort/, /models/, /ckpt/) and calls window.strataBench.
//
// Every timing is performance.now() around one synchronous engine call or one
// awaited ORT session.run, results copied out to JS included (both return
// copies of their outputs). Engine and ORT calls are interleaved so that the
// machine's noise falls on both alike; medians after a warm-up.
import createStrataEngine from '/engine/strata-engine.js';
import * as ort from '/ort/ort.wasm.min.mjs';

ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;

let Module = null;
async function engineModule() {
  Module ??= await createStrataEngine();
  return Module;
}

// The wasm memory of the engine instance, in bytes (it grows, never shrinks).
function heapBytes(M) {
  return (M.HEAP8 ?? M.HEAPU8).buffer.byteLength;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
}

function check(result, what) {
  if (!result.ok) throw new Error(`${what}: ${result.error}`);
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The hooks that match the ONNX exports' outputs: every attention pattern and
// the L+1 hidden states (the residual stream entering each block, and the last block's output).
function matchedCapture(nLayers) {
  const names = [];
  for (let l = 0; l < nLayers; l++) names.push(`blocks.${l}.attn.hook_pattern`, `blocks.${l}.hook_resid_pre`);
  names.push(`blocks.${nLayers - 1}.hook_resid_post`);
  return names;
}

// `M`: the engine module instance to load into; by default the page's shared one.
async function loadEngine(base, withTokenizer = true, M = null) {
  M ??= await engineModule();
  const engine = new M.Engine();
  const [config, weights, tokenizer] = await Promise.all([
    fetchText(`${base}config.json`), fetchBytes(`${base}model.safetensors`),
    withTokenizer ? fetchText(`${base}tokenizer.json`) : null]);
  const started = performance.now();
  const info = JSON.parse(check(engine.load(config, weights, tokenizer), `${base} load`).info);
  return { M, engine, info, loadMs: performance.now() - started };
}

// Times `calls` (name -> function returning a promise or a value) interleaved.
async function timeInterleaved(calls, { repeats, warmupMs }) {
  const names = Object.keys(calls);
  const warmEnd = performance.now() + warmupMs;
  do for (const n of names) await calls[n](); while (performance.now() < warmEnd);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < repeats; i++) {
    for (const n of names) {
      const t0 = performance.now();
      await calls[n]();
      times[n].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { median_ms: median(times[n]), best_ms: Math.min(...times[n]) }]));
}

// Engine vs ONNX Runtime Web on a shipped model: plain forward and forward with
// every attention pattern and hidden state.
async function compare({ model, repeats = 31, warmupMs = 1500 }) {
  const base = `/models/${model}/`;
  const { M, engine, info } = await loadEngine(base);
  const session = await ort.InferenceSession.create(await fetchBytes(`${base}model.onnx`), { executionProviders: ['wasm'] });
  try {
    const suite = JSON.parse(await fetchText(`${base}suite.json`));
    const ids = Int32Array.from(check(engine.tokenize(suite.items[0].prompt), 'tokenize').ids);
    const L = info.n_layers, H = info.n_heads, n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, BigInt)), [1, n]),
      head_mask: new ort.Tensor('float32', new Float32Array(L * H).fill(1), [L, H]),
      mlp_mask: new ort.Tensor('float32', new Float32Array(L).fill(1), [L]),
    };
    const plainRequest = JSON.stringify({});
    const fullRequest = JSON.stringify({ capture: matchedCapture(L) });
    const allRequest = JSON.stringify({ capture: 'all' });
    // Outputs are disposed after each call so that ORT's buffers are reused, as a page would.
    const ortRun = async (fetches) => {
      const out = await session.run(feeds, fetches);
      for (const t of Object.values(out)) t.dispose?.();
    };
    const figures = await timeInterleaved({
      engine_plain: () => check(engine.run(ids, plainRequest, 5), 'run'),
      ort_plain: () => ortRun(['logits']),
      engine_full: () => check(engine.run(ids, fullRequest, 5), 'run'),
      ort_full: () => ortRun(['logits', 'attentions', 'hidden_states']),
      engine_all_hooks: () => check(engine.run(ids, allRequest, 5), 'run'),
    }, { repeats, warmupMs });
    const full = check(engine.run(ids, fullRequest, 5), 'run');
    return { model, tokens: n, n_layers: L, n_heads: H, hooks_in_full: Object.keys(full.captures).length,
      heap_bytes: heapBytes(M), figures };
  } finally {
    engine.delete();
    await session.release();
  }
}

// A random GPT-2-shaped checkpoint in the page: load time, a full-capture
// forward at each length, and the wasm memory it took. Each checkpoint gets an
// engine instance of its own: wasm memory never shrinks, so an instance that
// held a larger model before would report that model's memory.
async function checkpoint({ path, lengths = [128], repeats = 3 }) {
  const base = `/ckpt/${path}/`;
  const fresh = await createStrataEngine();
  const heapBefore = heapBytes(fresh);
  const { M, engine, info, loadMs } = await loadEngine(base, false, fresh);
  try {
    const runs = [];
    for (const n of lengths) {
      const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % info.d_vocab);
      const request = JSON.stringify({ capture: 'all' });
      check(engine.run(ids, request, 5), 'run');  // warm-up
      const times = [];
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        check(engine.run(ids, request, 5), 'run');
        times.push(performance.now() - t0);
      }
      runs.push({ tokens: n, median_ms: median(times), heap_bytes: heapBytes(M) });
    }
    return { path, n_layers: info.n_layers, d_model: info.d_model, load_ms: loadMs, heap_before_bytes: heapBefore,
      heap_bytes: heapBytes(M), runs };
  } finally {
    engine.delete();
  }
}

// The threaded engine module on a checkpoint, in a worker as in the page (the
// bench page is served cross-origin isolated): see threads-worker.js.
async function threads({ path, lengths = [64, 128], rounds = 5, warmups = 3 }) {
  if (!crossOriginIsolated) throw new Error('threads: the bench page is not cross-origin isolated');
  const worker = new Worker(new URL('./threads-worker.js', import.meta.url), { type: 'module' });
  try {
    const answer = await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ path, lengths, rounds, warmups });
    });
    if (!answer.ok) throw new Error(answer.error);
    return answer.result;
  } finally {
    worker.terminate();
  }
}

// The activation-patching sweep split across a pool of workers (one engine
// instance each), timed from dispatch to the last shard's answer with the
// workers already started and the model loaded, as in the page. `pairs` are
// the sweep's pairs as token ids (what the patching analysis selects with
// `itemsPerKind`); the interventions mode runs them, the analysis selects them itself.
async function sweep({ model, pairs, itemsPerKind = 2, workers = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)),
  mode = 'auto', reuse = true }) {
  const base = `/models/${model}/`;
  const nLayers = JSON.parse(await fetchText(`${base}config.json`));
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./sweep-worker.js', import.meta.url), { type: 'module' }));
  const ask = (w, message) => new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => (data.ok ? resolve(data) : reject(new Error(data.error)));
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(message);
  });
  try {
    const t0 = performance.now();
    const loaded = await Promise.all(pool.map((w) => ask(w, { type: 'load', base, mode })));
    const startMs = performance.now() - t0;
    const t1 = performance.now();
    const shards = await Promise.all(pool.map((w, i) => ask(w, { type: 'sweep', pairs, itemsPerKind, reuse, shard: [i, workers] })));
    const seconds = (performance.now() - t1) / 1000;
    const out = { model, workers, mode: loaded[0].mode, reuse, seconds, start_ms: startMs };
    if (out.mode === 'analyze') {
      const units = shards.reduce((a, s) => a + s.units, 0);
      return { ...out, units, n_units: shards[0].n_units, patches: units * pairs.length };
    }
    // Reassemble recovery[pair][boundary][position] from the shards.
    const L = nLayers.n_layer ?? nLayers.num_hidden_layers;
    const recovery = pairs.map((p) => Array.from({ length: L + 1 }, () => new Array(p.corrupt.length)));
    for (const s of shards) for (const [pi, b, pos, value] of s.values) recovery[pi][b][pos] = value;
    return { ...out, patches: shards.reduce((a, s) => a + s.values.length, 0), recovery };
  } finally {
    for (const w of pool) w.terminate();
  }
}

window.strataBench = { compare, checkpoint, sweep, threads };
window.strataBenchReady = true;
