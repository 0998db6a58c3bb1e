// Every view of the explorer on both shipped models, computed by the real engine
// in the page's workers: each view draws all its charts with data in them, and a
// screenshot of each is written to web/test-results/<model>-<view>.png. Then the
// suite-wide ablation sweep is checked against the page's own predictions: the
// head whose loss the analysis says costs recall most is switched off item by
// item, and the accuracy drop the page shows must be the analysis's.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { VIEW_CHARTS, openBrowser, openView, predictions, requireSite, resultsDir, startServer } from './helpers.mjs';

const manifest = requireSite();
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

function assertClean(b) {
  assert.deepEqual(b.foreign, [], 'requests left the origin');
  assert.deepEqual(b.pageErrors, [], 'the page threw or opened a dialog');
}

// Every chart has drawn cells or bars with a size, and at least one non-zero value.
async function assertChartsFilled(page, view) {
  const charts = await page.$$eval('main figure.chart', (figures) => figures.map((f) => {
    const shapes = [...f.querySelectorAll('svg rect')].filter((r) => Number(r.getAttribute('width')) > 0.5 && Number(r.getAttribute('height')) > 0.5);
    const values = [...f.querySelectorAll('[data-value]')].map((c) => Number(c.dataset.value)).filter((v) => Number.isFinite(v));
    return { name: f.dataset.chart, shapes: shapes.length, values: values.length, nonzero: values.some((v) => v !== 0) };
  }));
  assert.ok(charts.length >= VIEW_CHARTS[view].length, `${view}: ${charts.length} charts`);
  for (const c of charts) {
    assert.ok(c.shapes > 2, `${view}: the chart ${c.name} has nothing drawn`);
    if (c.values) assert.ok(c.nonzero, `${view}: the chart ${c.name} holds only zeros`);
  }
}

for (const model of manifest.models) {
  test(`${model.id}: every view renders its charts from the engine`, async (t) => {
    const { page } = browser;
    await page.goto(`${server.url}#m=${model.id}`);
    await predictions(page);
    for (const view of [...Object.keys(VIEW_CHARTS), 'lessons']) {
      const started = Date.now();
      await openView(page, view);
      if (view === 'lessons') assert.ok((await page.$$('#lesson-list li')).length >= 3, 'fewer than three lessons');
      else await assertChartsFilled(page, view);
      t.diagnostic(`${view}: ${Date.now() - started} ms`);
      await page.screenshot({ path: join(resultsDir, `${model.id}-${view}.png`), fullPage: true });
    }
    assertClean(browser);
  });

  test(`${model.id}: switching off the head the ablation sweep ranks first for recall changes the page's predictions as the sweep says`, async (t) => {
    const { page } = browser;
    await page.goto(`${server.url}#m=${model.id}&v=ablation`);
    await openView(page, 'ablation');
    const result = await page.evaluate(() => window.strata.data.analyses.ablation.result);
    const heads = result.units.filter((u) => u.level === 'head');
    const best = heads.reduce((a, b) => (b.drop.by_family.recall > a.drop.by_family.recall ? b : a));
    assert.ok(best.drop.by_family.recall > 0, 'no single head costs recall anything');
    t.diagnostic(`head ${best.label}: recall drop ${best.drop.by_family.recall}, reasoning drop ${best.drop.by_family.reasoning}`);
    const suite = await page.evaluate(() => window.strata.data.model.suite.items.map(({ id, kind, split, prompt, answer }) => ({ id, kind, split, prompt, answer })));
    for (const k of result.items.kinds.filter((x) => x.family === 'recall')) {
      const items = suite.filter((it) => it.kind === k.kind && it.split === k.split).slice(0, k.n);
      let clean = 0;
      let ablated = 0;
      for (const item of items) {
        await page.evaluate((hash) => { location.hash = hash; }, `m=${model.id}&v=ablation&i=${item.id}&x=h${best.layer}.${best.head}`);
        await page.waitForFunction((p) => document.querySelector('#summary .prompt-chip')?.textContent.includes(p), item.prompt);
        const rows = await predictions(page, '#ablation-results table.predictions');
        const top = (s) => rows.reduce((a, b) => (b.values[s] > a.values[s] ? b : a)).token;
        clean += top(0) === item.answer ? 1 : 0;
        ablated += top(1) === item.answer ? 1 : 0;
      }
      const drop = (clean - ablated) / items.length;
      assert.ok(Math.abs(drop - best.drop.by_kind[k.kind]) < 1e-9,
        `${k.kind}: the page's accuracy drop ${drop} (${clean} → ${ablated} of ${items.length}) is not the sweep's ${best.drop.by_kind[k.kind]}`);
      assert.ok(Math.abs(clean / items.length - result.baseline.by_kind[k.kind]) < 1e-9, `${k.kind}: baseline accuracy differs from the sweep's`);
    }
    assertClean(browser);
  });
}
