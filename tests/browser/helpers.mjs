// Shared pieces of the browser tests: the built site (web/dist), a static file
// server on 127.0.0.1, a fresh headless Chromium, and a guard that records every
// request leaving the page's origin.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = process.env.STRATA_SITE_DIR ? resolve(process.env.STRATA_SITE_DIR) : join(root, 'web', 'dist');
export const resultsDir = join(root, 'web', 'test-results');
// Chromium's headless shell, the browser Playwright itself runs headless: the
// full browser's headless mode once stalled a screenshot, and every call after it.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';

export function requireSite() {
  assert.ok(existsSync(join(dist, 'index.html')), `${dist}/index.html is missing: run scripts/build-site.sh first`);
  assert.ok(existsSync(join(dist, 'engine', 'strata-engine.wasm')), `${dist}/engine/strata-engine.wasm is missing: run scripts/build-site.sh first`);
  assert.ok(existsSync(join(dist, 'models', 'manifest.json')), `${dist}/models/manifest.json is missing: the site has no models; build them, then run scripts/build-site.sh`);
  const manifest = JSON.parse(readFileSync(join(dist, 'models', 'manifest.json'), 'utf8'));
  assert.ok(manifest.models?.length, 'web/dist/models/manifest.json lists no models');
  return manifest;
}

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.md': 'text/markdown; charset=utf-8', '.safetensors': 'application/octet-stream', '.onnx': 'application/octet-stream',
};

// headers: added to every answer (a CORS header when the server stands in for a CDN);
// missing: paths answered 404 as if the files were not there; rewrite: {path: (bytes) => body},
// a file served changed (a manifest without one of its fields, say).
export function startServer(dir = dist, headers = {}, missing = [], rewrite = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (missing.includes(path)) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found');
      return;
    }
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(rewrite[path] ? rewrite[path](readFileSync(file)) : readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

// What every browser test asks of a browser it opened: no request left the
// site's origin, and the page neither threw, broke its CSP nor opened a dialog.
export function assertClean(b) {
  assert.deepEqual(b.foreign, [], 'requests left the origin');
  assert.deepEqual(b.pageErrors, [], 'the page threw, broke its CSP or opened a dialog');
}

// A fresh browser profile; every request is checked against the site's origin.
// hostRules (optional): Chromium's --host-resolver-rules, e.g. to answer a real
// host name from a local server; a context given them also accepts that
// server's self-signed certificate.
export async function openBrowser(siteUrl, { hostRules = null } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: Boolean(hostRules),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...(hostRules ? [`--host-resolver-rules=${hostRules}`] : [])],
  });
  const origin = new URL(siteUrl).origin;
  const foreign = [];
  const pageErrors = [];
  const watch = (page) => {
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign.push(u);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) pageErrors.push(`CSP: ${m.text()}`); });
    page.on('dialog', (d) => { pageErrors.push(`dialog opened: ${d.message()}`); d.dismiss(); });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  // The test files run two at a time, each page with its own engine workers: a
  // wait is a guard against a hang, not a measure of speed, so it gets twice
  // Playwright's 30 s.
  context.setDefaultTimeout(60_000);
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context, page, foreign, pageErrors, profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Waits for the prediction table of the current view; returns [{token, p}] with full precision.
// The rows are read in the same step that finds them, so a re-render in between cannot empty them.
export async function predictions(page, selector = '#predictions table.predictions') {
  const rows = await page.waitForFunction((sel) => {
    const found = [...document.querySelectorAll(`${sel} tbody tr`)];
    return found.length ? found.map((r) => ({ token: r.dataset.token, values: r.dataset.probabilities.split(',').map(Number) })) : null;
  }, selector, { timeout: 60_000 });
  return rows.jsonValue();
}

// -> {caption, rows: [{column: text}]} of one chart.
// A view draws its figures again when another analysis lands (the tuned lens,
// or a late result of the view before), and a figure drawn again has its table
// closed: the table is opened until it is open, and read in that same moment.
export async function chartData(page, name) {
  const fig = `main figure.chart[data-chart^="${name}"]`;
  const handle = await page.waitForFunction((sel) => {
    const f = document.querySelector(sel);
    const toggle = f?.querySelector('button.table-toggle');
    if (toggle && toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
    const table = f?.querySelector('table.data-table');
    if (!table || !table.getClientRects().length) return null;
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.children].map((td, i) => [heads[i], td.textContent])));
    return { caption: f.querySelector('figcaption')?.textContent ?? '', rows, more: f.querySelector('.chart-table p.note')?.textContent ?? '' };
  }, fig, { polling: 250 });
  return handle.jsonValue();
}

export async function firstPredictionTime(page) {
  return page.evaluate(() => performance.getEntriesByName('strata:first-prediction')[0]?.startTime ?? null);
}

// The charts each view draws once its data is in (figure[data-chart] names);
// a name ending in "*" matches by prefix (charts named after the selected layer).
export const VIEW_CHARTS = {
  model: ['predictions'],
  attention: ['attention-grid', 'attention-l*'],
  flow: ['attention-flow', 'attention-rollout'],
  lens: ['lens-answer-rank', 'logit-lens', 'tuned-lens'],
  attribution: ['attribution', 'attribution-heads'],
  patching: ['patching-resid', 'patching-attn_pos', 'patching-mlp_pos', 'patching-heads'],
  ablation: ['ablation', 'ablation-suite-blocks', 'ablation-suite-heads'],
  study: ['study-layers', 'study-heads', 'study-causal-layers', 'study-causal-heads', 'circuits-impairment'],
  neurons: ['neuron-counts', 'neurons-l*', 'neuron-distributions-l*'],
};

function chartSelector(name) {
  return name.endsWith('*') ? `main figure.chart[data-chart^="${name.slice(0, -1)}"]` : `main figure.chart[data-chart="${name}"]`;
}

// Waits until every chart of the view is drawn, failing at once with the page's
// message when an analysis reports an error. Returns the chart names drawn.
export async function waitForCharts(page, view, timeout = 240_000) {
  const selectors = VIEW_CHARTS[view].map(chartSelector);
  const handle = await page.waitForFunction((sels) => {
    const alert = document.querySelector('main [role="alert"]');
    if (alert) return { error: alert.textContent };
    return sels.every((s) => document.querySelector(`${s} svg`)) ? { ok: true } : null;
  }, selectors, { timeout, polling: 250 });
  const state = await handle.jsonValue();
  assert.ok(!state.error, `the ${view} view shows an error: ${state.error}`);
  return page.$$eval('main figure.chart', (f) => f.map((x) => x.dataset.chart));
}

export async function openView(page, view) {
  await page.click(`button.tab[data-view="${view}"]`);
  await page.waitForFunction((v) => document.getElementById('view').dataset.view === v, view);
  if (VIEW_CHARTS[view]) return waitForCharts(page, view);
  return [];
}
