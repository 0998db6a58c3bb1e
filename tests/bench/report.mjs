// Assembles the benchmark's raw figures (one JSON file per measurement, written
// by scripts/bench.sh) into results/latest.json and results/latest.md: every
// figure, its target where it has one, and whether it meets it.
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
const browser = raw('browser') ?? {};
const kernels = raw('kernels');
const models = names.filter((n) => n.startsWith('torch-')).map((n) => n.slice('torch-'.length)).sort();

const targets = [];
function target(name, figure, goal, met) {
  targets.push({ name, figure, target: goal, met });
}

const f1 = (x) => (x == null ? '–' : x.toFixed(x < 10 ? 2 : 1));
const ratio = (a, b) => (a && b ? a / b : null);
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
  target(`${c.model}: full-capture forward, engine vs ORT Web (speed-up)`, full, '>= 1', full >= 1);
  return { model: c.model, tokens: c.tokens, hooks_in_full: c.hooks_in_full, engine_plain_ms: f.engine_plain.median_ms,
    ort_plain_ms: f.ort_plain.median_ms, plain_speedup: plain, engine_full_ms: f.engine_full.median_ms,
    ort_full_ms: f.ort_full.median_ms, full_speedup: full, engine_all_hooks_ms: f.engine_all_hooks.median_ms,
    engine_full_best_ms: f.engine_full.best_ms, ort_full_best_ms: f.ort_full.best_ms,
    full_speedup_best: ratio(f.ort_full.best_ms, f.engine_full.best_ms) };
});

// --- 2. engine vs PyTorch -------------------------------------------------------
const torchRows = models.map((m) => {
  const torch = raw(`torch-${m}`);
  const nat = raw(`native-sweep-${m}`);
  const pageRuns = (browser.sweep ?? []).filter((s) => s.model === m);
  const page = pageRuns.find((s) => s.mode === 'analyze') ?? pageRuns[0];
  const pageInterventions = pageRuns.find((s) => s.mode === 'interventions');
  const row = {
    model: m, pairs: torch.sweep.pairs, patches: torch.sweep.patches, tokens: torch.forward.tokens,
    torch_forward_ms: torch.forward.median_ms, torch_forward_cpu_ms: torch.forward.cpu_median_ms,
    native_forward_ms: raw(`native-forward-${m}`)?.median_ms, native_forward_cpu_ms: raw(`native-forward-${m}`)?.cpu_median_ms,
    wasm_forward_ms: raw(`wasm-forward-${m}`)?.median_ms,
    torch_sweep_s: torch.sweep.seconds, torch_sweep_cpu_s: torch.sweep.cpu_seconds,
    browser_sweep_s: page?.seconds, browser_mode: page?.mode, browser_workers: page?.workers, browser_patches: page?.patches,
    browser_interventions_sweep_s: pageInterventions?.seconds,
    wasm_sweep_s: raw(`wasm-analyze-${m}`)?.seconds, wasm_sweep_noreuse_s: raw(`wasm-analyze-noreuse-${m}`)?.seconds,
    native_sweep_s: raw(`native-analyze-${m}`)?.seconds, native_sweep_cpu_s: raw(`native-analyze-${m}`)?.cpu_seconds,
    recovery_max_diff_native: maxDiff(torch.sweep.recovery, nat?.recovery),
    recovery_max_diff_browser: maxDiff(torch.sweep.recovery, pageInterventions?.recovery),
  };
  row.forward_speedup_wasm = ratio(row.torch_forward_ms, row.wasm_forward_ms);
  row.forward_speedup_native_cpu = ratio(row.torch_forward_cpu_ms, row.native_forward_cpu_ms);
  row.sweep_speedup_browser = ratio(row.torch_sweep_s, row.browser_sweep_s);
  row.sweep_speedup_wasm = ratio(row.torch_sweep_s, row.wasm_sweep_s);
  row.sweep_speedup_native_cpu = ratio(row.torch_sweep_cpu_s, row.native_sweep_cpu_s);
  target(`${m}: patching sweep in the browser vs PyTorch (speed-up)`, row.sweep_speedup_browser, '>= 5', row.sweep_speedup_browser >= 5);
  return row;
});

// --- 3. kernels -------------------------------------------------------------------
if (kernels) {
  target('matmul 256^3, fraction of the wasm SIMD peak', kernels.matmul.median / kernels.peak.median, '>= 0.60',
    kernels.matmul.median / kernels.peak.median >= 0.6);
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
  target('first prediction, cold', page.cold_ms, '<= 1500 ms', page.cold_ms <= 1500);
  target("site's own JS + wasm, gzipped", page.js_wasm_gzip_bytes, '< 500 KB', page.js_wasm_gzip_bytes < 500_000);
}
for (const v of browser.studyview ?? []) {
  target(`Recall vs reasoning view, first chart, ${v.model}`, v.first_chart_ms, '<= 2000 ms', v.first_chart_ms <= 2000);
}

// --- writing ------------------------------------------------------------------------
const results = { machine, chromium: browser.chromium, hardware_concurrency: browser.hardware_concurrency, targets,
  ort: ortRows, torch: torchRows, kernels, growth: { by_length: byLength, by_size: bySize }, checkpoints_in_page: browser.checkpoint,
  page, study_view: browser.studyview };
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
md.push('**Targets**', '');
table(['figure', 'measured', 'target', 'met'], targets.map((t) => [t.name,
  t.name.includes('gzipped') ? kb(t.figure) : t.name.includes('cold') || t.name.includes('first chart') ? `${f1(t.figure)} ms` : t.name.includes('fraction') ? `${(100 * t.figure).toFixed(0)}%` : `${f1(t.figure)}×`,
  t.target, t.met ? 'yes' : '**no**']));

md.push('**Engine vs ONNX Runtime Web** (headless Chromium, one page, one thread each; median ms after warm-up; "full" = every attention pattern and hidden state)', '');
table(['model', 'tokens', 'engine plain', 'ORT plain', 'speed-up', 'engine full', 'ORT full', 'speed-up', 'full, best runs: engine / ORT',
  'engine, every hook'],
  ortRows.map((r) => [r.model, r.tokens, f1(r.engine_plain_ms), f1(r.ort_plain_ms), `${f1(r.plain_speedup)}×`, f1(r.engine_full_ms),
    f1(r.ort_full_ms), `${f1(r.full_speedup)}×`, `${f1(r.engine_full_best_ms)} / ${f1(r.ort_full_best_ms)}`, f1(r.engine_all_hooks_ms)]));

md.push('**Engine vs PyTorch, the TransformerLens way** (torch one thread, native. Forward: every hook cached, median ms. ' +
  'Sweep: patching the residual stream at every boundary × position of the pairs, one forward per patch in torch; seconds. ' +
  'Browser: the patching analysis split by `shard` over the page\'s workers, clean-cache reuse; "one run per patch": ' +
  'engine.run with a patch intervention per patch, no reuse. CPU: process CPU time, which leaves out waiting for a core)', '');
table(['model', 'torch forward', 'engine forward (wasm, node)', 'speed-up', 'CPU: torch / native', 'speed-up'],
  torchRows.map((r) => [r.model, f1(r.torch_forward_ms), f1(r.wasm_forward_ms), `${f1(r.forward_speedup_wasm)}×`,
    `${f1(r.torch_forward_cpu_ms)} / ${f1(r.native_forward_cpu_ms)}`, `${f1(r.forward_speedup_native_cpu)}×`]));
table(['model', 'pairs × patches', 'torch sweep', 'browser sweep', 'speed-up', 'browser, one run per patch', 'wasm (node)',
  'wasm, no reuse', 'CPU: torch / native', 'speed-up', 'max |Δ recovery| vs torch'],
  torchRows.map((r) => [r.model, `${r.pairs} × ${r.patches / r.pairs}`, f1(r.torch_sweep_s),
    `${f1(r.browser_sweep_s)} (${r.browser_workers} workers)`, `${f1(r.sweep_speedup_browser)}×`, f1(r.browser_interventions_sweep_s),
    f1(r.wasm_sweep_s), f1(r.wasm_sweep_noreuse_s), `${f1(r.torch_sweep_cpu_s)} / ${f1(r.native_sweep_cpu_s)}`,
    `${f1(r.sweep_speedup_native_cpu)}×`,
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

if (page) {
  md.push('**Page** (built site on a local static server, headless Chromium; median of 3; ms from navigation to the page\'s `strata:*` marks)', '');
  table(['load', 'engine ready', 'model loaded', 'first prediction'],
    [['cold', `${f1(page.cold_engine_ready_ms)} ms`, `${f1(page.cold_model_loaded_ms)} ms`, `${f1(page.cold_ms)} ms`],
      ['warm', `${f1(page.warm_engine_ready_ms)} ms`, `${f1(page.warm_model_loaded_ms)} ms`, `${f1(page.warm_ms)} ms`]]);
  table(["site's own JS + wasm", 'gzipped'], [[kb(page.js_wasm_bytes), kb(page.js_wasm_gzip_bytes)]]);
}
if (browser.studyview?.length) {
  md.push('**Recall vs reasoning view** (built site, a fresh browser per run after the first prediction; median of 3; ms from the tab\'s click)', '');
  table(['model', 'first chart', "the study's labels", "the study's controls"],
    browser.studyview.map((v) => [v.model, `${f1(v.first_chart_ms)} ms`, `${f1(v.labels_ms)} ms`, `${f1(v.controls_ms)} ms`]));
}
writeFileSync(join(outDir, 'latest.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
