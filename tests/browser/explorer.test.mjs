// The explorer page in headless Chromium, served from web/dist: first prediction,
// every view, ablation, shareable links, hostile links, exports, and no request
// leaving the origin. Screenshots go to web/test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertClean, firstPredictionTime, openBrowser, openView, predictions, requireSite, resultsDir, startServer } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[0];
let server;
let browser;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page loads and shows a prediction (time to first prediction from the performance mark)', async (t) => {
  const { page } = browser;
  await page.goto(server.url);
  const rows = await predictions(page);
  assert.ok(rows.length >= 1, 'no prediction rows');
  const sum = rows.reduce((s, r) => s + r.values[0], 0);
  assert.ok(sum > 0 && sum <= 1 + 1e-6, `probabilities sum to ${sum}`);
  const ms = await firstPredictionTime(page);
  assert.ok(ms !== null, 'performance mark strata:first-prediction is missing');
  t.diagnostic(`time to first prediction: ${ms.toFixed(0)} ms (model ${model.id})`);
  assert.match(await page.textContent('#model-name'), new RegExp(model.id));
  assert.ok((await page.$$('#tokens .token-chip')).length > 0, 'the prompt tokens are not shown');
  assert.match(page.url(), new RegExp(`[#&]m=${model.id}|#i=`), 'the state is not in the URL');
  await page.screenshot({ path: join(resultsDir, 'model-view.png'), fullPage: true });
  assertClean(browser);
});

test('the attention view draws every layer × head and a detail that follows clicks', async () => {
  const { page } = browser;
  await page.click('button.tab[data-view="attention"]');
  await page.waitForSelector('.head-map');
  const maps = await page.$$('.head-map');
  assert.equal(maps.length, model.n_layers * model.n_heads);
  const filled = await page.$$eval('.head-map rect.c', (r) => r.length);
  assert.ok(filled > maps.length, 'the heatmaps have no cells');
  await page.click(`.head-map[data-layer="${model.n_layers - 1}"][data-head="${model.n_heads - 1}"]`);
  await page.waitForFunction((h) => location.hash.includes(`h=${h}`), model.n_heads - 1);
  const title = await page.textContent('#attention-detail h3');
  assert.equal(title, `Layer ${model.n_layers - 1}, head ${model.n_heads - 1}`);
  assert.ok((await page.$$('#attention-detail svg rect')).length > 4, 'the detail heatmap is empty');
  await page.screenshot({ path: join(resultsDir, 'attention-view.png'), fullPage: true });
  assertClean(browser);
});

test('ablating a head changes the prediction and is kept in the URL', async () => {
  const { page } = browser;
  await page.click('button.tab[data-view="ablation"]');
  await page.waitForSelector('button.component');
  assert.equal((await page.$$('button.component')).length, model.n_layers * (model.n_heads + 2));
  const before = await predictions(page, '#ablation-results table.predictions');
  for (const r of before) assert.equal(r.values[0], r.values[1], 'with no ablation both columns agree');
  await page.click('button.component[data-ablation="h0.0"]');
  await page.waitForFunction(() => location.hash.includes('x=h0.0'));
  await page.waitForSelector('#ablation-active li');
  const afterRows = await predictions(page, '#ablation-results table.predictions');
  const change = Math.max(...afterRows.map((r) => Math.abs(r.values[0] - r.values[1])));
  assert.ok(change > 1e-7, `zeroing head 0.0 changed no probability (max change ${change})`);
  await page.click('button.component[data-ablation="m0"]');
  await page.waitForFunction(() => location.hash.includes('x=h0.0,m0'));
  await page.waitForFunction(() => document.querySelectorAll('#ablation-active li').length === 2);
  await page.screenshot({ path: join(resultsDir, 'ablation-view.png'), fullPage: true });
  assertClean(browser);
});

test('a copied link opened in a fresh browser reproduces the view and its numbers', async () => {
  const { page } = browser;
  const shown = await predictions(page, '#ablation-results table.predictions');
  await page.click('#copy-link');
  const link = await page.inputValue('#share-link');
  assert.match(link, /v=ablation/);
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(link);
    const again = await predictions(fresh.page, '#ablation-results table.predictions');
    assert.deepEqual(again, shown);
    assert.equal(await fresh.page.getAttribute('button.tab[aria-current="page"]', 'data-view'), 'ablation');
    assert.equal(await fresh.page.$$eval('#ablation-active li', (l) => l.length), 2);
    assert.equal(fresh.page.url(), link);
    assertClean(fresh);
  } finally {
    await fresh.close();
  }
});

test('every chart exports as SVG and PNG and its data as CSV and JSON', async () => {
  const out = join(resultsDir, 'exports');
  mkdirSync(out, { recursive: true });
  // One view per kind of chart: bars, attention heatmaps, matrix heatmaps with legends, signed bars.
  // Each chart in a tab of its own, PNG last: a PNG is encoded after an await, so its download
  // may come after the click's user activation, and Chromium allows one such download per tab.
  for (const view of ['model', 'attention', 'flow', 'attribution']) {
    let charts = null;
    for (let k = 0; charts === null || k < charts.length; k++) {
      const page = await browser.context.newPage();
      try {
        await page.goto(`${server.url}#v=${view}`);
        await openView(page, view);
        // A view redraws while any of its analyses reports progress, which can move a
        // button from under the click: export once everything on screen has finished.
        await page.waitForFunction(() => Object.values(window.strata.data.analyses ?? {}).every((a) => a.status !== 'running'),
          null, { timeout: 240_000, polling: 250 });
        charts ??= await page.$$eval('main figure.chart', (f) => f.map((x) => x.dataset.chart));
        const chart = charts[k];
        for (const format of ['svg', 'csv', 'json', 'png']) {
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.click(`figure[data-chart="${chart}"] button[data-export="${format}"]`),
          ]);
          const file = join(out, download.suggestedFilename());
          await download.saveAs(file);
          const bytes = readFileSync(file);
          assert.ok(bytes.length > 20, `${chart}.${format} is empty`);
          if (format === 'svg') assert.match(bytes.toString('utf8'), /^<\?xml[^]*<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
          if (format === 'png') assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
          if (format === 'csv') assert.ok(bytes.toString('utf8').split('\n').length > 2, `${chart}.csv has no rows`);
          if (format === 'json') JSON.parse(bytes.toString('utf8'));
        }
      } finally {
        await page.close();
      }
    }
  }
  assertClean(browser);
});

test('a hostile link is ignored field by field with a notice, and nothing in it runs', async () => {
  const fresh = await openBrowser(server.url);
  try {
    const hostile = [
      'm=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      `p=${encodeURIComponent('<img src=x onerror=alert(1)> ? ')}`,
      'l=99999999999999999999', 'h=-3', 'v=%3Cb%3Eview%3C%2Fb%3E', 'x=h1.2,%3Csvg%20onload%3Dalert(1)%3E',
      's=1e999', 'k=abc', 'zz=1', '__proto__=x', 'constructor=y',
    ].join('&');
    await fresh.page.goto(`${server.url}#${hostile}`);
    await fresh.page.waitForSelector('#notices .notice');
    const rows = await predictions(fresh.page);
    assert.ok(rows.length > 0, 'no prediction after a hostile link');
    const notices = (await fresh.page.$$eval('#notices .notice', (n) => n.map((x) => x.textContent))).join('\n');
    for (const label of ['model', 'layer', 'head', 'view', 'ablations', 'seed', 'lesson step']) {
      assert.match(notices, new RegExp(`link's ${label} ${label === 'ablations' ? 'were' : 'was'} ignored`), `no notice for the ${label}`);
    }
    assert.match(notices, /fields this page does not know[^]*zz/);
    assert.equal(await fresh.page.$$eval('img, script:not([src]), svg[onload]', (x) => x.length), 0, 'markup from the link reached the DOM');
    assert.equal(await fresh.page.inputValue('#prompt'), '<img src=x onerror=alert(1)> ? ');
    assert.match(await fresh.page.textContent('#summary'), /<img src=x onerror=alert\(1\)>/);
    assert.equal(await fresh.page.getAttribute('button.tab[aria-current="page"]', 'data-view'), 'model');
    await fresh.page.screenshot({ path: join(resultsDir, 'hostile-link.png'), fullPage: true });
    assertClean(fresh);
  } finally {
    await fresh.close();
  }
});

test('once loaded, the page works offline', async () => {
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(`${server.url}#v=attention`);
    await fresh.page.waitForSelector('.head-map');
    await fresh.page.evaluate(() => navigator.serviceWorker.ready);
    await fresh.page.waitForFunction(async () => (await (await caches.open('strata-site')).keys()).some((r) => r.url.endsWith('.wasm')));
    await fresh.context.setOffline(true);
    await fresh.page.reload();
    await fresh.page.waitForSelector('.head-map', { timeout: 60_000 });
    assertClean(fresh);
  } finally {
    await fresh.context.setOffline(false);
    await fresh.close();
  }
});
