// Assembles the benchmark's raw figures (one JSON file per measurement, written
// by scripts/bench.sh) into results/latest.json and results/latest.md: every
// figure, its target where it has one, and whether it meets it. Figures that
// compare two processes come from rounds that alternate them (scripts/bench.sh):
// the median of the per-round ratios, with their spread.
//
//   node tests/bench/report.mjs RAW_DIR OUT_DIR
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir, outDir] = process.argv.slice(2);
const raw = (name) => {
  const path = join(rawDir, `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
};
const names = readdirSync(rawDir).map((f) => f.replace(/\.json$/, ''));
const machine = { ...raw('machine-start'), ...raw('machine-end') };
// Busy: a 1-minute load above half the cores when the run began.
machine.busy = Number(String(machine.load_start).split(' ')[0]) > machine.cores / 2;
const browser = raw('browser') ?? {};
const kernels = raw('kernels');
const roundOf = (n) => Number(/-r(\d+)$/.exec(n)?.[1]);
const rounds = [...new Set(names.filter((n) => n.startsWith('torch-')).map(roundOf))].sort((a, b) => a - b);
const models = [...new Set(names.filter((n) => n.startsWith('torch-')).map((n) => n.slice('torch-'.length).replace(/-r\d+$/, '')))].sort();

const targets = [];
// unit: how the figure is written: 'x' (a ratio), '%' (a fraction), 'ms', 'KB' or 'MiB' (bytes).
function target(name, figure, goal, met, unit) {
  targets.push({ name, figure, target: goal, met, unit });
}

const f1 = (x) => (x == null ? '–' : x.toFixed(x < 10 ? 2 : 1));
const ratio = (a, b) => (a && b ? a / b : null);
const median = (xs) => {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
// Per-round values of f(round) -> {median, min, max, n}: a ratio's median and spread over the rounds.
function overRounds(f) {
  const v = rounds.map(f).filter((x) => x != null);
  return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length } : null;
}
const spread = (r) => (r ? `${f1(r.median)}× (${f1(r.min)}–${f1(r.max)}, ${r.n} rounds)` : '–');
const mib = (b) => (b == null ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;

// Largest |difference| between two recovery grids [pair][layer][position].
function maxDiff(a, b) {
  if (!a || !b) return null;
  let d = 0;
  a.forEach((grid, i) => grid.forEach((row, l) => row.forEach((v, p) => { d = Math.max(d, Math.abs(v - b[i][l][p])); })));
  return d;
}

// --- 1. engine vs ONNX Runtime Web ------------------------------------------------
const ortRows = (browser.compare ?? []).map((c) => {
  const f = c.figures;
  const plain = ratio(f.ort_plain.median_ms, f.engine_plain.median_ms);
  const full = ratio(f.ort_full.median_ms, f.engine_full.median_ms);
  target(`${c.model}: full-capture forward, engine vs ORT Web (speed-up, ${c.tokens} tokens)`, full, '>= 2', full >= 2, 'x');
  return { model: c.model, tokens: c.tokens, hooks_in_full: c.hooks_in_full, engine_plain_ms: f.engine_plain.median_ms,
    ort_plain_ms: f.ort_plain.median_ms, plain_speedup: plain, engine_full_ms: f.engine_full.median_ms,
    ort_full_ms: f.ort_full.median_ms, full_speedup: full, engine_all_hooks_ms: f.engine_all_hooks.median_ms,
    engine_full_best_ms: f.engine_full.best_ms, ort_full_best_ms: f.ort_full.best_ms,
    full_speedup_best: ratio(f.ort_full.best_ms, f.engine_full.best_ms) };
});

// --- 2. engine vs PyTorch, in alternating rounds ----------------------------------
const torchRows = models.map((m) => {
  const at = (name, r) => raw(`${name}-${m}-r${r}`);
  // The page's sweep in round r: through the patching analysis, or (mode "interventions") one run per patch.
  const page = (r, mode) => (raw(`browser-sweep-r${r}`)?.sweep ?? [])
    .find((x) => x.model === m && (mode === 'interventions') === (x.mode === 'interventions'));
  const torch = at('torch', rounds[0]);
  const nat = raw(`native-sweep-${m}`);
  const row = {
    model: m, rounds: rounds.length, pairs: torch.sweep.pairs, patches: torch.sweep.patches, tokens: torch.forward.tokens,
    torch_forward_ms: median(rounds.map((r) => at('torch', r)?.forward.median_ms)),
    torch_forward_cpu_ms: median(rounds.map((r) => at('torch', r)?.forward.cpu_median_ms)),
    native_forward_ms: median(rounds.map((r) => at('native-forward', r)?.median_ms)),
    native_forward_cpu_ms: median(rounds.map((r) => at('native-forward', r)?.cpu_median_ms)),
    wasm_forward_ms: median(rounds.map((r) => at('wasm-forward', r)?.median_ms)),
    torch_sweep_s: median(rounds.map((r) => at('torch', r)?.sweep.seconds)),
    torch_sweep_cpu_s: median(rounds.map((r) => at('torch', r)?.sweep.cpu_seconds)),
    browser_sweep_s: median(rounds.map((r) => page(r, 'analysis')?.seconds)), browser_workers: page(rounds[0], 'analysis')?.workers,
    browser_interventions_sweep_s: median(rounds.map((r) => page(r, 'interventions')?.seconds)),
    wasm_sweep_s: raw(`wasm-analyze-${m}`)?.seconds, wasm_sweep_noreuse_s: raw(`wasm-analyze-noreuse-${m}`)?.seconds,
    native_sweep_s: raw(`native-analyze-${m}`)?.seconds, native_sweep_cpu_s: raw(`native-analyze-${m}`)?.cpu_seconds,
    recovery_max_diff_native: maxDiff(torch.sweep.recovery, nat?.recovery),
    recovery_max_diff_browser: maxDiff(torch.sweep.recovery, page(rounds[0], 'interventions')?.recovery),
  };
  row.forward_speedup_wasm = overRounds((r) => ratio(at('torch', r)?.forward.median_ms, at('wasm-forward', r)?.median_ms));
  row.forward_speedup_native_cpu = overRounds((r) => ratio(at('torch', r)?.forward.cpu_median_ms, at('native-forward', r)?.cpu_median_ms));
  row.sweep_speedup_browser = overRounds((r) => ratio(at('torch', r)?.sweep.seconds, page(r, 'analysis')?.seconds));
  row.sweep_speedup_native_cpu = overRounds((r) => ratio(at('torch', r)?.sweep.cpu_seconds, raw(`native-analyze-${m}`)?.cpu_seconds));
  const speedup = row.sweep_speedup_browser?.median;
  target(`${m}: patching sweep in the browser vs PyTorch (speed-up)`, speedup, '>= 10', speedup >= 10, 'x');
  return row;
});

// The GPT-2 path against the LLaMA path, per multiply-add: the shipped models share d_model, d_mlp, heads and
// depth, but LLaMA's gated MLP has a third matrix, so each time is divided by its model's work per token.
const modelsDir = join(import.meta.dirname, '..', '..', 'models');
function macsPerToken(id) {
  const c = JSON.parse(readFileSync(join(modelsDir, id, 'config.json'), 'utf8'));
  const llama = c.model_type === 'llama';
  const [layers, d, mlp] = llama ? [c.num_hidden_layers, c.hidden_size, c.intermediate_size] : [c.n_layer, c.n_embd, c.n_inner ?? 4 * c.n_embd];
  return layers * (4 * d * d + (llama ? 3 : 2) * d * mlp) + d * c.vocab_size;
}
const [gpt2Id, llamaId] = ['tiny-gpt2-world2', 'tiny-llama-world2'];
const gpt2Path = models.includes(gpt2Id) && models.includes(llamaId)
  ? overRounds((r) => ratio(raw(`wasm-forward-${gpt2Id}-r${r}`)?.median_ms / macsPerToken(gpt2Id),
    raw(`wasm-forward-${llamaId}-r${r}`)?.median_ms / macsPerToken(llamaId)))
  : null;
if (gpt2Path) target('GPT-2 path / LLaMA path, wasm forward with every hook, time per multiply-add', gpt2Path.median, '<= 1.2', gpt2Path.median <= 1.2, 'x');

// --- 3. kernels -------------------------------------------------------------------
if (kernels) {
  target('matmul 256^3, fraction of the wasm SIMD peak', kernels.matmul.median / kernels.peak.median, '>= 0.60',
    kernels.matmul.median / kernels.peak.median >= 0.6, '%');
  const attention = kernels.kernels.find((k) => k.name === 'causal attention 256 pos, 12x64');
  if (attention) target(`${attention.name}, fraction of the wasm SIMD peak`, attention.median / kernels.peak.median, '>= 0.60',
    attention.median / kernels.peak.median >= 0.6, '%');
}

// --- 4. growth ----------------------------------------------------------------------
const growth = (kind, keys) => keys.map((k) => ({ key: k, forward: raw(`growth-${kind}-forward-${k}`), sweep: raw(`growth-${kind}-sweep-${k}`) }));
const lenKeys = names.filter((n) => n.startsWith('growth-len-forward-')).map((n) => Number(n.split('-').pop())).sort((a, b) => a - b);
const sizeKeys = names.filter((n) => n.startsWith('growth-size-forward-')).map((n) => n.split('-').pop())
  .sort((a, b) => Number(a.split('x')[1]) - Number(b.split('x')[1]));
const byLength = growth('len', lenKeys), bySize = growth('size', sizeKeys);

// --- 5. page ----------------------------------------------------------------------
const page = browser.pageload;
if (page) {
  target('first prediction, cold', page.cold_ms, '<= 1000 ms', page.cold_ms <= 1000, 'ms');
  target("site's own JS + wasm a cold load fetches before its first prediction, gzipped", page.first_prediction_gzip_bytes, '<= 300 KB',
    page.first_prediction_gzip_bytes <= 300_000, 'KB');
}
// The memory and forward-time targets are for a BF16 checkpoint (tests/bench/make-checkpoint.py names it *-bf16).
const isBf16 = (c) => c.path.endsWith('-bf16');
for (const c of (browser.checkpoint ?? []).filter(isBf16)) {
  target(`${c.path} (BF16 weights) in the page, wasm memory`, c.heap_bytes, '<= 700 MiB', c.heap_bytes <= 700 * 2 ** 20, 'MiB');
}
for (const c of browser.threads ?? []) {
  const what = (r) => `${r.tokens}-token forward ${r.capture === 'all' ? 'with every hook' : 'without captures'}`;
  for (const r of c.runs) {
    target(`${c.path}: ${what(r)}, ${c.threads} threads vs one (speed-up)`, r.speedup, '>= 1.7', r.speedup >= 1.7, 'x');
  }
  const r64 = c.runs.find((r) => r.tokens === 64 && r.capture === 'all');
  if (r64 && isBf16(c)) target(`${c.path}: ${what(r64)}, ${c.threads} threads`, r64.threaded_ms, '<= 500 ms', r64.threaded_ms <= 500, 'ms');
}
for (const v of browser.studyview ?? []) {
  target(`Recall vs reasoning view, first chart, ${v.model}`, v.first_chart_ms, '<= 2000 ms', v.first_chart_ms <= 2000, 'ms');
}

// --- writing ------------------------------------------------------------------------
const results = { machine, chromium: browser.chromium, hardware_concurrency: browser.hardware_concurrency, targets,
  ort: ortRows, torch: torchRows, gpt2_path_over_llama_path: gpt2Path, kernels, growth: { by_length: byLength, by_size: bySize }, checkpoints_in_page: browser.checkpoint,
  threads: browser.threads, page, study_view: browser.studyview };
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

const md = [];
const table = (head, rows) => {
  md.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const r of rows) md.push(`| ${r.join(' | ')} |`);
  md.push('');
};
md.push(`Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, load average ${machine.load_start} at the start and ` +
  `${machine.load_end} at the end (commit ${machine.commit}; ${browser.chromium?.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, node ${machine.node}).`, '');
if (machine.busy) {
  md.push(`**Warning: the machine was busy** (1-minute load ${String(machine.load_start).split(' ')[0]} on ${machine.cores} cores ` +
    'when the run began): ratios between processes do not hold; do not quote these figures.', '');
}
md.push('**Targets**', '');
table(['figure', 'measured', 'target', 'met'], targets.map((t) => [t.name,
  { x: `${f1(t.figure)}×`, '%': `${(100 * t.figure).toFixed(0)}%`, ms: `${f1(t.figure)} ms`, KB: kb(t.figure), MiB: mib(t.figure) }[t.unit],
  t.target, t.met ? 'yes' : '**no**']));

md.push('**Engine vs ONNX Runtime Web** (headless Chromium, one page, one thread each; median ms after warm-up; "full" = every attention pattern and hidden state)', '');
table(['model', 'tokens', 'engine plain', 'ORT plain', 'speed-up', 'engine full', 'ORT full', 'speed-up', 'full, best runs: engine / ORT',
  'engine, every hook'],
  ortRows.map((r) => [r.model, r.tokens, f1(r.engine_plain_ms), f1(r.ort_plain_ms), `${f1(r.plain_speedup)}×`, f1(r.engine_full_ms),
    f1(r.ort_full_ms), `${f1(r.full_speedup)}×`, `${f1(r.engine_full_best_ms)} / ${f1(r.ort_full_best_ms)}`, f1(r.engine_all_hooks_ms)]));

md.push('**Engine vs PyTorch, the TransformerLens way** (torch one thread, native; both sides in alternating rounds, ' +
  'each figure the median over the rounds, each speed-up the median of the per-round ratios with their range. ' +
  'Forward: every hook cached, median ms. ' +
  'Sweep: patching the residual stream at every boundary × position of the pairs, one forward per patch in torch; seconds. ' +
  'Browser: the patching analysis split by `shard` over the page\'s workers, clean-cache reuse; "one run per patch": ' +
  'engine.run with a patch intervention per patch, no reuse. CPU: process CPU time, which leaves out waiting for a core)', '');
table(['model', 'torch forward', 'engine forward (wasm, node)', 'speed-up', 'CPU: torch / native', 'speed-up'],
  torchRows.map((r) => [r.model, f1(r.torch_forward_ms), f1(r.wasm_forward_ms), spread(r.forward_speedup_wasm),
    `${f1(r.torch_forward_cpu_ms)} / ${f1(r.native_forward_cpu_ms)}`, spread(r.forward_speedup_native_cpu)]));
if (gpt2Path) md.push(`The GPT-2 path against the LLaMA path (wasm forward with every hook, time per multiply-add): ${spread(gpt2Path)}.`, '');
table(['model', 'pairs × patches', 'torch sweep', 'browser sweep', 'speed-up', 'browser, one run per patch', 'wasm (node)',
  'wasm, no reuse', 'CPU: torch / native', 'speed-up', 'max |Δ recovery| vs torch'],
  torchRows.map((r) => [r.model, `${r.pairs} × ${r.patches / r.pairs}`, f1(r.torch_sweep_s),
    `${f1(r.browser_sweep_s)} (${r.browser_workers} workers)`, spread(r.sweep_speedup_browser), f1(r.browser_interventions_sweep_s),
    f1(r.wasm_sweep_s), f1(r.wasm_sweep_noreuse_s), `${f1(r.torch_sweep_cpu_s)} / ${f1(r.native_sweep_cpu_s)}`,
    spread(r.sweep_speedup_native_cpu),
    (Math.max(r.recovery_max_diff_native ?? 0, r.recovery_max_diff_browser ?? 0)).toExponential(1)]));

if (kernels) {
  md.push('**Kernels** (wasm SIMD in node, one thread, median GFLOP/s)', '');
  table(['kernel', 'GFLOP/s', 'of peak'], [['peak: f32x4 multiply-add chains', f1(kernels.peak.median), '100%'],
    ...kernels.kernels.map((k) => [k.name, f1(k.median), `${(100 * k.median / kernels.peak.median).toFixed(0)}%`])]);
}

md.push('**Cost growth** (wasm in node; random GPT-2-shaped checkpoints, vocabulary 50257; forward with every hook captured; ' +
  'sweep = one pair, every layer × position, clean-cache reuse; memory = wasm heap; "est." = timed on a sample of positions per layer)', '');
const growthRows = (rows) => rows.map((r) => [r.key, f1(r.forward?.median_ms), mib(r.forward?.peak_bytes),
  r.sweep ? `${f1(r.sweep.seconds)}${r.sweep.estimated ? ' est.' : ''}` : '–', r.sweep?.patches ?? '–', mib(r.sweep?.peak_bytes)]);
table(['tokens (gpt2-4x128)', 'forward ms', 'forward memory', 'sweep s', 'patches', 'sweep memory'], growthRows(byLength));
table(['layers x width (64 tokens)', 'forward ms', 'forward memory', 'sweep s', 'patches', 'sweep memory'], growthRows(bySize));
for (const c of browser.checkpoint ?? [])
  md.push(`In Chromium, the ${c.n_layers}-layer × ${c.d_model} checkpoint (${c.path}) loads in ${f1(c.load_ms)} ms and runs a ` +
    `${c.runs.map((r) => `${r.tokens}-token forward with every hook captured in ${f1(r.median_ms)} ms`).join(', ')}; ` +
    `the engine's wasm memory is ${mib(c.heap_bytes)}.`, '');
for (const c of browser.threads ?? [])
  md.push(`The threaded module on ${c.path}, one thread against ${c.threads} alternating in one instance: ` +
    `${c.runs.map((r) => `${r.tokens} tokens ${r.capture === 'all' ? 'with every hook' : 'without captures'} ` +
      `${f1(r.one_thread_ms)} → ${f1(r.threaded_ms)} ms (×${r.speedup.toFixed(2)}, ` +
      `rounds ${r.speedup_min.toFixed(2)}–${r.speedup_max.toFixed(2)})`).join(', ')}.`, '');

if (page) {
  md.push('**Page** (built site on a local static server, headless Chromium; median of 3; ms from navigation to the page\'s `strata:*` marks)', '');
  // The first prediction's stages: the first engine instance up (the prediction-only module on a cold
  // load), the model loaded into it, the prompt tokenized, the model's runs answered, the prediction on screen.
  const stages = ['engine-ready', 'model-loaded', 'tokenized', 'model-ran', 'first-prediction'];
  table(['load', 'engine ready', 'model loaded', 'prompt tokenized', 'model ran', 'first prediction on screen'],
    [['cold', page.cold_stages_ms], ['warm', page.warm_stages_ms]].map(([load, at]) => [load, ...stages.map((m) => `${f1(at[m])} ms`)]));
  const firstFiles = page.files.filter((f) => f.first_prediction);
  md.push(`The site's own JS and wasm that a cold load fetches before its first prediction (the browser's requests up to the mark): ${
    firstFiles.map((f) => `\`${f.file}\` ${kb(f.gzip_bytes)}`).join(', ')}, gzipped. The full engine modules load after it.`, '');
  table(["site's own JS + wasm before the first prediction", 'gzipped', 'all of it (every engine module), gzipped'],
    [[kb(page.first_prediction_bytes), kb(page.first_prediction_gzip_bytes), kb(page.all_gzip_bytes)]]);
}
if (browser.studyview?.length) {
  md.push('**Recall vs reasoning view** (built site, a fresh browser per run after the first prediction; median of 3; ms from the tab\'s click)', '');
  table(['model', 'first chart', "the study's labels", "the study's controls"],
    browser.studyview.map((v) => [v.model, `${f1(v.first_chart_ms)} ms`, `${f1(v.labels_ms)} ms`, `${f1(v.controls_ms)} ms`]));
}
writeFileSync(join(outDir, 'latest.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
