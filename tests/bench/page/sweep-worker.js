// One worker of the benchmark page's patching sweep: an engine instance that
// runs its shard [i, n] of the sweep.
//
// With the patching analysis (engine.analyze, mode "analyze"), the shard is
// the analysis's own `shard` setting: units (boundary, position) with
// unit % n == i, each over every pair, with the corrupt runs' residual stream
// reused. Without it (mode "interventions", an engine built before the
// analyses), the shard is a range of (pair, boundary, position) patches and each patch is one forward of the corrupt prompt with a
// `patch` intervention on blocks.l.hook_resid_pre at one position (the clean
// run's residual stream, serialised once per pair and layer, travels in the
// request JSON). The pair's clean and corrupt runs are made once per worker.
import createStrataEngine from '/engine/strata-engine.js';

let engine = null;
let nLayers = 0;
let mode = 'interventions';

function check(result, what) {
  if (!result.ok) throw new Error(`${what}: ${result.error}`);
  return result;
}

async function load({ base, mode: want }) {
  const M = await createStrataEngine();
  engine = new M.Engine();
  const get = async (f, binary) => {
    const r = await fetch(base + f);
    if (!r.ok) throw new Error(`${base}${f}: HTTP ${r.status}`);
    return binary ? new Uint8Array(await r.arrayBuffer()) : r.text();
  };
  const [config, weights, tokenizer, suite] = await Promise.all([get('config.json'), get('model.safetensors', true),
    get('tokenizer.json'), get('suite.json')]);
  nLayers = JSON.parse(check(engine.load(config, weights, tokenizer), 'load').info).n_layers;
  const analyses = typeof engine.listAnalyses === 'function' ? JSON.parse(engine.listAnalyses()) : [];
  mode = analyses.some((a) => a.name === 'patching') && want !== 'interventions' ? 'analyze' : 'interventions';
  if (mode === 'analyze') check(engine.loadSuite(suite), 'loadSuite');
  return { mode };
}

function analyze({ itemsPerKind, shard, reuse }) {
  const request = { settings: { levels: ['resid'], items_per_kind: itemsPerKind, shard, reuse_cache: reuse } };
  const result = JSON.parse(check(engine.analyze('patching', JSON.stringify(request), null), 'patching').result);
  return { units: result.units.length, n_units: result.n_units };
}

function logitDifference(logits, pair) {
  const [n, vocab] = logits.shape;
  const last = logits.data.subarray((n - 1) * vocab);
  return last[pair.answer] - last[pair.corrupt_answer];
}

// The residual stream's boundaries: every block's input, then the last block's output.
function boundaries() {
  const names = Array.from({ length: nLayers }, (_, k) => `blocks.${k}.hook_resid_pre`);
  return [...names, `blocks.${nLayers - 1}.hook_resid_post`];
}

function sweep({ pairs, shard, itemsPerKind, reuse = true }) {
  if (mode === 'analyze') return analyze({ itemsPerKind, shard, reuse });
  const [index, count] = shard;
  const tasks = [];
  pairs.forEach((p, pi) => {
    for (let b = 0; b <= nLayers; b++) for (let pos = 0; pos < p.corrupt.length; pos++) tasks.push([pi, b, pos]);
  });
  const begin = Math.floor((tasks.length * index) / count), end = Math.floor((tasks.length * (index + 1)) / count);
  const values = [];
  let current = -1, prepared = null;
  for (const [pi, l, pos] of tasks.slice(begin, end)) {
    const pair = pairs[pi];
    if (pi !== current) {
      const capture = boundaries();
      const clean = check(engine.run(Int32Array.from(pair.clean), JSON.stringify({ capture }), 1), 'clean run');
      const corrupt = check(engine.run(Int32Array.from(pair.corrupt), '{}', 1), 'corrupt run');
      prepared = {
        ids: Int32Array.from(pair.corrupt),
        ldClean: logitDifference(clean.logits, pair),
        ldCorrupt: logitDifference(corrupt.logits, pair),
        values: capture.map((name) => {
          const t = clean.captures[name];
          return JSON.stringify({ shape: Array.from(t.shape), data: Array.from(t.data) });
        }),
      };
      current = pi;
    }
    const request = `{"interventions":[{"hook":"${boundaries()[l]}","op":"patch","positions":[${pos}],"value":${prepared.values[l]}}]}`;
    const ld = logitDifference(check(engine.run(prepared.ids, request, 1), 'patched run').logits, pair);
    values.push([pi, l, pos, (ld - prepared.ldCorrupt) / (prepared.ldClean - prepared.ldCorrupt)]);
  }
  return { values };
}

const handlers = { load, sweep };
onmessage = async ({ data }) => {
  try {
    postMessage({ ok: true, ...(await handlers[data.type](data)) });
  } catch (e) {
    postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};
