// Every view of the explorer on both shipped models, computed by the real engine
// in the page's workers: each view draws all its charts with data in them, and a
// screenshot of each is written to web/test-results/<model>-<view>.png. Then the
// suite-wide ablation sweep is checked against the page's own predictions: the
// head whose loss the analysis says costs recall most is switched off item by
// item, and the accuracy drop the page shows must be the analysis's. Right after
// a model's views, in the same page (nothing computed again), every view is
// audited (audit-checks.mjs: axe-core, cell contrast, leaked text, a 390 px phone)
// and every lesson step of that model is checked (lesson-checks.mjs). Last, the
// classroom lessons run to their end: every step sets its view and state in the
// URL (so a step is a link), its view draws its charts, and a step's link opened
// in a fresh browser shows that same step. Every view but the model's links to
// the sections of the methods page that define it, and each section exists.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { auditEveryView, checkNarrow } from './audit-checks.mjs';
import { VIEW_CHARTS, assertClean, openBrowser, openView, predictions, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';
import { walkLessons } from './lesson-checks.mjs';

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

// Every chart has drawn cells or bars with a size, and at least one non-zero value.
async function assertChartsFilled(page, view) {
  const charts = await page.$$eval('main figure.chart', (figures) => figures.map((f) => {
    const shapes = [...f.querySelectorAll('svg rect')].filter((r) => Number(r.getAttribute('width')) > 0.5 && Number(r.getAttribute('height')) > 0.5);
    const values = [...f.querySelectorAll('[data-value]')].map((c) => Number(c.dataset.value)).filter((v) => Number.isFinite(v));
    return { name: f.dataset.chart, shapes: shapes.length, values: values.length, nonzero: values.some((v) => v !== 0) };
  }));
  assert.ok(charts.length >= VIEW_CHARTS[view].length, `${view}: ${charts.length} charts`);
  for (const c of charts) {
    assert.ok(c.shapes > 1, `${view}: the chart ${c.name} has nothing drawn beside its background`);
    if (c.values) assert.ok(c.nonzero, `${view}: the chart ${c.name} holds only zeros`);
  }
}

// The ids of the methods page's sections (methods.html, from docs/methods.md).
async function methodSections(page) {
  const html = await page.evaluate(async () => (await fetch('./methods.html')).text());
  assert.match(html, /<h1 id="methods">Methods<\/h1>/, 'methods.html is not the rendered docs/methods.md');
  return new Set([...html.matchAll(/<h[1-3] id="([^"]+)"/g)].map((m) => m[1]));
}

async function assertMethodLinks(page, view, sections) {
  const links = await page.$$eval('main p.method-links a', (as) => as.map((a) => ({ href: a.getAttribute('href'), target: a.target })));
  if (view === 'model' || view === 'lessons') return;
  assert.ok(links.length >= 1, `${view}: no link to the methods page`);
  for (const { href, target } of links) {
    const m = /^\.\/methods\.html#(.+)$/.exec(href);
    assert.ok(m && sections.has(m[1]), `${view}: the link ${href} names no section of methods.html`);
    assert.equal(target, '_blank', `${view}: ${href} would leave the view`);
  }
}

for (const model of manifest.models) {
  test(`${model.id}: every view renders its charts from the engine`, async (t) => {
    const { page } = browser;
    await page.goto(`${server.url}#m=${model.id}`);
    // The page may still show the previous model's predictions: wait for this one's.
    await page.waitForFunction((id) => window.strata.data.model?.id === id && window.strata.data.clean !== null, model.id, { timeout: 60_000 });
    await predictions(page);
    const sections = await methodSections(page);
    for (const view of [...Object.keys(VIEW_CHARTS), 'lessons']) {
      const started = Date.now();
      await openView(page, view);
      await assertMethodLinks(page, view, sections);
      if (view === 'lessons') assert.ok((await page.$$('#lesson-list li')).length >= 3, 'fewer than three lessons');
      else await assertChartsFilled(page, view);
      const computed = await page.evaluate(() => Object.entries(window.strata.data.analyses).filter(([, a]) => a.ms).map(([name, a]) => `${name} ${Math.round(a.ms)} ms`));
      t.diagnostic(`${view}: ${Date.now() - started} ms on screen${computed.length ? `; computed: ${computed.join(', ')}` : ''}`);
      await page.screenshot({ path: join(resultsDir, `${model.id}-${view}.png`), fullPage: true });
    }
    assertClean(browser);
  });

  test(`${model.id}: every view passes the accessibility audit, cell contrast and text checks`, async (t) => {
    await auditEveryView(browser.page, t);
    assertClean(browser);
  });

  test(`${model.id}: at 390×844 every view fits, the header stays short, a lesson is a bottom sheet`, async () => {
    await checkNarrow(browser.page, model.id);
    assertClean(browser);
  });

  test(`${model.id}: every lesson step reads cleanly and says what the engine says`, async (t) => {
    await walkLessons(browser.page, server.url, model, t);
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
      const items = k.ids.map((id) => suite.find((it) => it.id === id));
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

async function stepState(page) {
  return page.evaluate(() => ({
    hash: location.hash,
    view: document.getElementById('view').dataset.view,
    count: document.getElementById('lesson-count')?.textContent,
    title: document.getElementById('lesson-step-title')?.textContent,
  }));
}

// Run last, in the same page, so the steps reuse the analyses the views computed.
test('each lesson runs from its first step to its end', async (t) => {
  const model = manifest.models[0];
  const { page } = browser;
  await page.goto(`${server.url}#m=${model.id}&v=lessons`);
  await page.waitForSelector('#lesson-list li');
  const lessons = await page.$$eval('#lesson-list li', (li) => li.map((x) => x.dataset.lesson));
  assert.ok(lessons.length >= 3, `only ${lessons.length} lessons`);
  let linkOfAStep = null;
  for (const lesson of lessons) {
    await page.click('button.tab[data-view="lessons"]');
    await page.click(`button.start-lesson[data-lesson="${lesson}"]`);
    let step = 0;
    for (;;) {
      await page.waitForFunction((k) => document.getElementById('lesson-count')?.textContent.startsWith(`step ${k + 1} of`), step);
      const s = await stepState(page);
      assert.match(s.hash, new RegExp(`n=${lesson}`), 'the lesson is not in the link');
      if (step > 0) assert.match(s.hash, new RegExp(`k=${step}(&|$)`), 'the step is not in the link');
      assert.match(s.hash, /[#&]i=/, 'the step chose no prompt');
      if (VIEW_CHARTS[s.view]) await waitForCharts(page, s.view);
      await page.screenshot({ path: join(resultsDir, `lesson-${lesson}-${step + 1}.png`), fullPage: true });
      if (lesson === 'recall' && step === 1) linkOfAStep = { url: page.url(), ...s };
      const next = await page.$('#lesson-next');
      if (!next) break;
      // An analysis finishing renders the page: the button about to be pressed must stay.
      await page.evaluate(() => window.strata.render());
      assert.ok(await next.evaluate((button) => button.isConnected), 'a render replaced the Next button');
      await next.click();
      step++;
    }
    t.diagnostic(`${lesson}: ${step + 1} steps`);
    await page.click('#lesson-end');
    await page.waitForFunction(() => document.getElementById('lesson').hidden && !/[#&]n=/.test(location.hash));
  }
  assert.ok(linkOfAStep, 'the recall lesson has no second step');
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(linkOfAStep.url);
    await fresh.page.waitForFunction((title) => document.getElementById('lesson-step-title')?.textContent === title, linkOfAStep.title);
    const s = await stepState(fresh.page);
    assert.equal(s.view, linkOfAStep.view);
    assert.equal(s.count, linkOfAStep.count);
    if (VIEW_CHARTS[s.view]) await waitForCharts(fresh.page, s.view);
    assert.deepEqual(fresh.foreign, []);
    assert.deepEqual(fresh.pageErrors, []);
  } finally {
    await fresh.close();
  }
  assert.deepEqual(browser.foreign, []);
  assert.deepEqual(browser.pageErrors, []);
});
