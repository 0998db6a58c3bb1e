// The benchmarks that run in headless Chromium; prints one JSON object.
//
//   node tests/bench/browser-bench.mjs --engine DIR --site DIR [--pairs-dir DIR] [--items-per-kind K]
//        [--checkpoints DIR --ckpt NAME,... --lengths N,...] [--only a,b]
//
// Parts (all by default; --only picks some):
//   compare     engine vs ONNX Runtime Web on every shipped model (tests/bench/page)
//   sweep       the activation-patching sweep across a pool of workers: through the
//               patching analysis (clean-cache reuse) and, for comparison, one
//               engine.run with a patch intervention per patch (pairs-<model>.json in --pairs-dir)
//   threads     the threaded engine module on the same checkpoints: the forward on one
//               thread and on every core, alternating (64 and 128 tokens)
//   checkpoint  the random GPT-2-shaped checkpoints in --checkpoints (their folder
//               names, e.g. gpt2-12x768), a full-capture forward and the wasm memory
//   studyview   the built site's Recall vs reasoning view on every shipped model, in
//               a fresh browser after the first prediction: ms from the tab's click
//               to its first chart, to the study's labels and to its controls
//   pageload    the built site: navigation to the strata:first-prediction mark,
//               cold (fresh profile) and warm (reload); the site's own JS + wasm that a
//               cold load fetches before that mark (from the browser's requests, the
//               workers' included), and all of it, gzipped
//
// One static server serves the bench page at /, the engine module at /engine/,
// ONNX Runtime Web's dist at /ort/, the shipped models at /models/ and the
// checkpoints at /ckpt/, so everything is same-origin, and sends COOP/COEP so that
// the threaded module can run. The site is served on
// its own by a second server with `cache-control: max-age=600` (what a static
// host typically sends), so that a warm load can use the browser cache.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

import { openBrowser, root } from '../browser/helpers.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const engineDir = resolve(args.engine ?? join(root, 'build', 'wasm', 'bindings'));
const siteDir = resolve(args.site ?? join(root, 'web', 'dist'));
const checkpointsDir = args.checkpoints ? resolve(args.checkpoints) : null;
const only = new Set((args.only ?? 'compare,sweep,checkpoint,threads,studyview,pageload').split(','));
const log = (...m) => console.error('[browser-bench]', ...m);

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
};

// routes: [[url prefix, folder]], longest first.
function serve(routes, headers = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const route = routes.find(([prefix]) => path.startsWith(prefix));
    if (!route) return res.writeHead(404).end();
    const dir = route[1];
    let file = normalize(join(dir, path.slice(route[0].length)));
    if (!file.startsWith(dir + sep) && file !== dir) return res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', ...headers });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) })));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchPage(fn) {
  const routes = [['/engine/', engineDir], ['/ort/', join(root, 'node_modules', 'onnxruntime-web', 'dist')],
    ['/models/', join(root, 'models')], ['/', join(root, 'tests', 'bench', 'page')]];
  if (checkpointsDir) routes.unshift(['/ckpt/', checkpointsDir]);
  const server = await serve(routes, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  const browser = await openBrowser(server.url);
  try {
    const page = browser.page;
    page.on('console', (m) => { if (m.type() === 'error') log('page:', m.text()); });
    await page.goto(server.url);
    await page.waitForFunction(() => window.strataBenchReady === true, null, { timeout: 60_000 });
    return await fn(page);
  } finally {
    if (browser.pageErrors.length) log('page errors:', browser.pageErrors.join('; '));
    await browser.close();
    await server.close();
  }
}

function shippedModels() {
  return readdirSync(join(root, 'models')).filter((m) => existsSync(join(root, 'models', m, 'model.onnx'))).sort();
}

async function pageLoad() {
  const server = await serve([['/', siteDir]], { 'cache-control': 'max-age=600' });
  // ms from navigation to each of the page's marks: the first engine instance up,
  // the model loaded into it, the first prediction on screen.
  const firstPrediction = async (page) => {
    await page.waitForFunction(() => performance.getEntriesByName('strata:first-prediction').length > 0, null, { timeout: 60_000 });
    const marks = await page.evaluate(() => Object.fromEntries(['engine-ready', 'model-loaded', 'tokenized', 'model-ran', 'first-prediction']
      .map((m) => [m, performance.getEntriesByName(`strata:${m}`)[0]?.startTime ?? null])));
    stages.push(marks);
    return marks['first-prediction'];
  };
  const cold = [], warm = [], stages = [];
  let firstPredictionFiles = null;
  try {
    for (let i = 0; i < 3; i++) {
      const browser = await openBrowser(server.url);
      try {
        const requests = [];
        const record = (r) => requests.push({ request: r, seen: Date.now() });
        browser.page.on('request', record);
        await browser.page.goto(server.url);
        cold.push(await firstPrediction(browser.page));
        await browser.page.waitForTimeout(500);  // let the service worker, if any, finish installing
        browser.page.off('request', record);
        const markAt = await browser.page.evaluate(() => performance.timeOrigin + performance.getEntriesByName('strata:first-prediction')[0].startTime);
        // A request's start time is known once its answer has come; until then the
        // time it was seen (never earlier) stands in.
        const started = ({ request, seen }) => (request.timing().startTime > 0 ? request.timing().startTime : seen);
        firstPredictionFiles ??= [...new Set(requests.filter((r) => started(r) <= markAt).map((r) => new URL(r.request.url()).pathname.slice(1)))];
        await browser.page.goto(server.url);
        warm.push(await firstPrediction(browser.page));
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
  const stageMedians = (runs) => Object.fromEntries(Object.keys(runs[0]).map((mark) => [mark, median(runs.map((r) => r[mark]))]));
  const coldStages = stages.filter((_, i) => i % 2 === 0), warmStages = stages.filter((_, i) => i % 2 === 1);
  return { cold_ms: median(cold), warm_ms: median(warm), cold_runs_ms: cold, warm_runs_ms: warm,
    cold_stages_ms: stageMedians(coldStages), warm_stages_ms: stageMedians(warmStages),
    ...siteBytes(firstPredictionFiles) };
}

// The view that waits on whole-suite analyses: how soon it draws, how soon it is whole.
async function studyView() {
  const server = await serve([['/', siteDir]]);
  const rows = [];
  try {
    for (const model of shippedModels()) {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const browser = await openBrowser(server.url);
        try {
          const { page } = browser;
          await page.goto(`${server.url}#m=${model}`);
          await page.waitForFunction(() => performance.getEntriesByName('strata:first-prediction').length > 0, null, { timeout: 60_000 });
          const start = Date.now();
          await page.click('button.tab[data-view="study"]');
          const after = async (selector) => {
            await page.waitForSelector(selector, { timeout: 300_000 });
            return Date.now() - start;
          };
          runs.push({ first_chart_ms: await after('#view figure.chart svg'), labels_ms: await after('#study-summary'),
            controls_ms: await after('#study-nulls') });
        } finally {
          await browser.close();
        }
      }
      const at = (key) => median(runs.map((r) => r[key]));
      rows.push({ model, first_chart_ms: at('first_chart_ms'), labels_ms: at('labels_ms'), controls_ms: at('controls_ms'), runs });
    }
  } finally {
    await server.close();
  }
  return rows;
}

// ONNX Runtime's own files as Vite emits them into the site (its bundle and its wasm).
const ONNX_RUNTIME = /^ort(\.wasm\.bundle|-wasm-simd)/;

// The site's own JS and wasm (ONNX Runtime's files apart), raw and gzipped
// (level 9): all of it, and the files a cold load fetched before its first
// prediction (paths relative to the site).
function siteBytes(firstPredictionFiles) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(m?js|wasm)$/.test(name) && !ONNX_RUNTIME.test(name)) files.push(path);
    }
  };
  walk(siteDir);
  const entries = files.map((f) => {
    const bytes = readFileSync(f);
    const file = f.slice(siteDir.length + 1);
    return { file, bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length, first_prediction: firstPredictionFiles.includes(file) };
  });
  const sum = (list, key) => list.reduce((a, e) => a + e[key], 0);
  const first = entries.filter((e) => e.first_prediction);
  return { files: entries, first_prediction_bytes: sum(first, 'bytes'), first_prediction_gzip_bytes: sum(first, 'gzip_bytes'),
    all_gzip_bytes: sum(entries, 'gzip_bytes') };
}

const out = { chromium: null };
if (only.has('compare') || only.has('sweep') || only.has('checkpoint')) {
  await benchPage(async (page) => {
    out.chromium = await page.evaluate(() => navigator.userAgent);
    out.hardware_concurrency = await page.evaluate(() => navigator.hardwareConcurrency);
    if (only.has('compare')) {
      out.compare = [];
      for (const model of shippedModels()) {
        log('compare', model);
        out.compare.push(await page.evaluate((m) => window.strataBench.compare({ model: m }), model));
      }
    }
    if (only.has('sweep')) {
      out.sweep = [];
      const itemsPerKind = Number(args['items-per-kind'] ?? 2);
      for (const model of shippedModels()) {
        // The sweep's pairs as token ids, from `bench-forward pairs` (the PyTorch side runs the same file).
        const pairsFile = join(resolve(args['pairs-dir'] ?? '.'), `pairs-${model}.json`);
        const pairs = JSON.parse(readFileSync(pairsFile, 'utf8')).pairs;
        for (const mode of ['auto', 'interventions']) {
          log('sweep', model, mode);
          out.sweep.push(await page.evaluate((o) => window.strataBench.sweep(o), { model, pairs, itemsPerKind, mode }));
        }
      }
    }
    if (only.has('checkpoint') && checkpointsDir) {
      out.checkpoint = [];
      for (const path of (args.ckpt ?? readdirSync(checkpointsDir).join(',')).split(',')) {
        log('checkpoint', path);
        const lengths = (args.lengths ?? '128').split(',').map(Number);
        out.checkpoint.push(await page.evaluate(([p, l]) => window.strataBench.checkpoint({ path: p, lengths: l }), [path, lengths]));
      }
    }
  });
}
// In a browser of its own: the threaded module's memory comes on top of the other parts'.
if (only.has('threads') && checkpointsDir) {
  out.threads = [];
  for (const path of (args.ckpt ?? readdirSync(checkpointsDir).join(',')).split(',')) {
    log('threads', path);
    out.threads.push(await benchPage((page) => page.evaluate((p) => window.strataBench.threads({ path: p }), path)));
  }
}
if (only.has('studyview')) {
  log('studyview');
  out.studyview = await studyView();
}
if (only.has('pageload')) {
  log('pageload');
  out.pageload = await pageLoad();
}
console.log(JSON.stringify(out));
