// Crafted reports never break the page. Valid reports of every analysis view are
// saved from the page, then mutated field by field inside their results (types,
// lengths, index ranges, nulls, huge values, missing keys; chosen by a seeded
// generator, so every run tries the same reports) and opened one after another.
// Each must leave the page without an uncaught error, with its view drawing a chart
// or saying why it cannot, and with no task blocking the main thread for more than 1 s.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { seededRandom } from '../../models/nl-bank/seeded-random.mjs';
import { openBrowser, openView, predictions, requireSite, resultsDir, startServer } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models.find((m) => /llama/.test(m.id)) ?? manifest.models[0];
const VIEWS_WITH_REPORTS = ['lens', 'flow', 'attribution', 'patching', 'ablation', 'neurons', 'study'];
const PATHS_PER_ANALYSIS = 24;
const MAX_BLOCKED_MS = 1000;
const CASE_TIMEOUT_MS = 30_000;
const SAVE_TIMEOUT_MS = 240_000;
let server;
let browser;
let scratch;
let firstFailureWritten = false;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-reports-fuzz-'));
  server = await startServer();
  browser = await openBrowser(server.url);
  await browser.context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration)); })
      .observe({ type: 'longtask', buffered: true });
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function paths(value, prefix = [], out = []) {
  out.push(prefix);
  if (prefix.length >= 7 || value === null || typeof value !== 'object') return out;
  const keys = Array.isArray(value) ? value.map((_, i) => i).slice(0, 4) : Object.keys(value);
  for (const k of keys) paths(value[k], [...prefix, k], out);
  return out;
}

function get(value, path) {
  return path.reduce((v, k) => v?.[k], value);
}

const MUTATIONS = {
  number: [null, 'x', -1, 1e308, 3000, 2.5, -1e308],
  string: [null, 7, [], 'x'.repeat(5000)],
  boolean: [null, 'yes', 0],
  array: [null, 'x', {}, 'empty', 'one', 'many'],
  object: [null, 'x', [], {}],
  null: [0, 'x', [], {}],
};

function mutate(result, path, kind) {
  const copy = structuredClone(result);
  if (!path.length) return kind === 'delete' ? {} : kind;
  const parent = get(copy, path.slice(0, -1));
  const key = path[path.length - 1];
  const old = parent[key];
  if (kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
  } else if (kind === 'empty') parent[key] = [];
  else if (kind === 'one') parent[key] = old.slice(0, 1);
  else if (kind === 'many') parent[key] = Array.from({ length: 3000 }, (_, i) => old[i % old.length] ?? 0);
  else parent[key] = kind;
  return copy;
}

function mutatedReports(report, seed) {
  const next = seededRandom(seed);
  const out = [];
  for (const name of report.analyses) {
    const all = paths(report.results[name]);
    for (let i = 0; i < PATHS_PER_ANALYSIS && all.length; i++) {
      const path = all[Math.floor(next() * all.length)];
      const value = get(report.results[name], path);
      const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      const kinds = [...(MUTATIONS[type] ?? [null]), ...(path.length ? ['delete'] : [])];
      for (let j = 0; j < 2; j++) {
        let kind = kinds[Math.floor(next() * kinds.length)];
        if (type === 'array' && !value.length && (kind === 'one' || kind === 'many')) kind = 'empty';
        out.push({ what: `${name}.${path.join('.')} := ${JSON.stringify(kind)?.slice(0, 30)}`,
          text: JSON.stringify({ ...report, results: { ...report.results, [name]: mutate(report.results[name], path, kind) } }) });
      }
    }
  }
  return out;
}

// The patching report the page once hung on: 3000 positions and a unit at boundary 999.
function hugePatching(report) {
  const r = structuredClone(report.results.patching);
  r.items.n_pos = 3000;
  r.units = [...r.units, { ...r.units[0], level: 'resid', boundary: 999, position: 2999 }];
  return { what: 'patching: n_pos 3000, a unit at boundary 999', text: JSON.stringify({ ...report, results: { ...report.results, patching: r } }) };
}

// Opens one report in the page and says what the view shows afterwards.
async function openAndLook(page, text, name) {
  return page.evaluate(async ({ text, name }) => {
    window.__longTasks.length = 0;
    await window.strata.actions.openReport(new File([text], name, { type: 'application/json', lastModified: 0 }));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const main = document.getElementById('view');
    return {
      charts: main.querySelectorAll('figure.chart svg').length,
      said: [...main.querySelectorAll('[role="alert"], .error, .note')].map((n) => n.textContent).filter(Boolean).length
        + [...document.querySelectorAll('#notices .notice')].filter((n) => n.textContent.includes(name)).length,
      longest: Math.max(0, ...window.__longTasks),
    };
  }, { text, name });
}

test(`${model.id}: mutated reports of every analysis view never break the page`, async (t) => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${model.id}`);
  await predictions(page);
  const failures = [];
  let opened = 0;
  for (const [v, view] of VIEWS_WITH_REPORTS.entries()) {
    await page.evaluate(() => window.strata.report && window.strata.actions.closeReport());
    await openView(page, view);
    // Saving runs the view's analyses again in the engine (the study view's circuits
    // take about a minute of wasm on a busy 2-core machine).
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: SAVE_TIMEOUT_MS }), page.click('#save-report')]);
    const file = join(scratch, `${view}.json`);
    await download.saveAs(file);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const cases = mutatedReports(report, 1000 + v);
    if (view === 'patching') cases.push(hugePatching(report));
    for (const [i, c] of cases.entries()) {
      const name = `${view}-${i}.json`;
      const seen = await Promise.race([openAndLook(page, c.text, name), new Promise((r) => setTimeout(() => r(null), CASE_TIMEOUT_MS))]);
      if (!seen) {
        failures.push(`${c.what}: the page did not answer within ${CASE_TIMEOUT_MS / 1000} s`);
        break;
      }
      opened++;
      if (browser.pageErrors.length) failures.push(`${c.what}: ${browser.pageErrors.splice(0).join('; ')}`);
      if (!seen.charts && !seen.said) failures.push(`${c.what}: the view is blank and says nothing`);
      if (seen.longest > MAX_BLOCKED_MS) failures.push(`${c.what}: the main thread was blocked for ${seen.longest} ms`);
      if (failures.length && !firstFailureWritten) {
        firstFailureWritten = true;
        writeFileSync(join(resultsDir, 'report-fuzz-first-failure.json'), c.text);
      }
    }
    if (failures.some((f) => f.includes('did not answer'))) break;
  }
  t.diagnostic(`${opened} mutated reports opened`);
  assert.deepEqual(failures, [], `${failures.length} of ${opened} mutated reports broke the page`);
  assert.deepEqual(browser.foreign, [], 'requests left the origin');
});

