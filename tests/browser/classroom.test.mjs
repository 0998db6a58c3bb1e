// The page in a classroom: Back and Forward move between views and lesson steps;
// keyboard focus stays on the control it activated (tabs, attention squares, the
// ablation heads map, which is operable by keyboard); held-out facts and unknown
// words are flagged beside the prediction with the reason; the backend is named
// beside the prediction; a first visit has a "start here" into the first lesson,
// a suite menu grouped by kind and split with the prompts' text, and the model card
// one click away; every chart has its data as a table behind a toggle; the
// recall-vs-reasoning view draws a first chart at once and fills in.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertClean, dist, openBrowser, openView, predictions, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[0];
const suite = JSON.parse(readFileSync(join(dist, 'models', model.path, 'suite.json'), 'utf8')).items;
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

const viewShown = (page) => page.evaluate(() => document.getElementById('view').dataset.view);
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? { tag: a.tagName.toLowerCase(), view: a.dataset?.view ?? null, layer: a.getAttribute('data-layer'), head: a.getAttribute('data-head'),
    row: a.getAttribute('data-row'), col: a.getAttribute('data-col'), chart: a.closest('figure')?.dataset.chart ?? null } : null;
});

test('Back and Forward move between views and lesson steps', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${model.id}`);
  await predictions(page);
  await page.click('button.tab[data-view="attention"]');
  await page.click('button.tab[data-view="lens"]');
  assert.equal(await viewShown(page), 'lens');
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('view').dataset.view === 'attention');
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('view').dataset.view === 'model');
  assert.match(page.url(), new RegExp(`^${server.url}`), 'Back left the page');
  await page.goForward();
  await page.waitForFunction(() => document.getElementById('view').dataset.view === 'attention');
  await page.click('button.tab[data-view="lessons"]');
  await page.click('button.start-lesson[data-lesson="attention"]');
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 1 of'));
  await page.click('#lesson-next');
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 2 of'));
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 1 of'));
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('view').dataset.view === 'lessons' && document.getElementById('lesson').hidden);
  await page.goForward();
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 1 of'));
  assertClean(browser);
});

test('keyboard: focus stays on the activated tab and square; the ablation heads map works by keyboard', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${model.id}`);
  await predictions(page);
  await page.focus('button.tab[data-view="attention"]');
  await page.keyboard.press('Enter');
  await waitForCharts(page, 'attention');
  assert.deepEqual({ tag: (await focused(page)).tag, view: (await focused(page)).view }, { tag: 'button', view: 'attention' }, 'focus left the tab');
  await page.focus('figure[data-chart="attention-grid"] g.head-map[data-layer="1"][data-head="2"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /[#&]l=1&h=2/.test(location.hash));
  await waitForCharts(page, 'attention');
  const square = await focused(page);
  assert.deepEqual([square.chart, square.layer, square.head], ['attention-grid', '1', '2'], 'focus left the attention square');
  assert.ok(await page.$('figure[data-chart="attention-l1-h2"]'), 'the square did not select its head');

  await openView(page, 'ablation');
  const cell = 'figure[data-chart="ablation-suite-heads"] g.cell[data-row="0"][data-col="1"]';
  assert.equal(await page.getAttribute(cell, 'tabindex'), '0', 'the heads map cannot be reached by keyboard');
  await page.focus(cell);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /[#&]x=h0\.1/.test(location.hash));
  await page.waitForFunction(() => document.activeElement?.matches?.('figure[data-chart="ablation-suite-heads"] g.cell[data-row="0"][data-col="1"]'));
  await page.keyboard.press(' ');
  await page.waitForFunction(() => !/[#&]x=/.test(location.hash));
  assertClean(browser);
});

test('a lesson can be followed from start to end with the keyboard alone', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${model.id}`);
  await predictions(page);
  const tabTo = async (selector) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    }
    assert.fail(`${selector} cannot be reached with Tab`);
  };
  await tabTo('#start-here-lesson');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 1 of'));
  const steps = Number(/of (\d+)/.exec(await page.textContent('#lesson-count'))[1]);
  await tabTo('#lesson-next');
  for (let k = 2; k <= steps; k++) {
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => document.getElementById('lesson-count')?.textContent.startsWith(`step ${n} of`), k);
    if (k < steps) assert.ok(await page.evaluate(() => document.activeElement?.id === 'lesson-next'), `focus left "Next" at step ${k}`);
  }
  assert.ok(await page.evaluate(() => document.activeElement?.id === 'lesson-end'), 'focus is not on "Finish the lesson" at the last step');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('lesson').hidden);
  assertClean(browser);
});

test('held-out facts and unknown words are flagged beside the prediction, and the backend is named', async () => {
  const { page } = browser;
  const heldout = suite.find((it) => it.family === 'recall' && it.split === 'heldout');
  const trained = suite.find((it) => it.family === 'recall' && it.split === 'trained');
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${model.id}&i=${trained.id}`);
  await predictions(page);
  assert.equal(await page.$('#prediction-flags'), null, 'a trained fact is flagged');
  assert.match(await page.textContent('#summary-backend'), /Strata engine/);
  assert.match(await page.textContent('figure[data-chart="predictions"] figcaption'), /computed by Strata engine/);
  await page.goto(`${server.url}#m=${model.id}&i=${heldout.id}`);
  await page.waitForSelector('#prediction-flags [data-flag="heldout"]');
  assert.match(await page.textContent('#prediction-flags'), /never learned it/);
  assert.ok(await page.$('#summary [data-flag="heldout"]'), 'no flag beside the prediction in the summary bar');
  await page.fill('#prompt', 'zyxwv qwerty plugh ?');
  await page.click('#run-prompt');
  await page.waitForSelector('#prediction-flags [data-flag="unknown"]');
  assert.match(await page.textContent('#prediction-flags'), /not in this model's vocabulary \(\[UNK\]\)/);
  assertClean(browser);
});

test('a first visit: start here leads into the first lesson; the suite menu is grouped and readable; the model card is one click away', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(server.url);
  await predictions(page);
  const groups = await page.$$eval('#kind-select optgroup', (g) => g.map((x) => x.label));
  assert.deepEqual([...groups].sort(), [...new Set(suite.map((it) => `${it.family} prompts`))].sort());
  const itemGroups = await page.$$eval('#item-select optgroup', (g) => g.map((x) => x.label));
  assert.ok(itemGroups.some((l) => /learned in training/.test(l)) && itemGroups.some((l) => /held out/.test(l)), `item groups: ${itemGroups}`);
  const first = await page.$eval('#item-select option[value]:not([value=""])', (o) => ({ id: o.value, text: o.textContent }));
  const item = suite.find((it) => it.id === first.id);
  assert.equal(first.text, `${item.prompt} → ${item.answer}`);
  await page.click('#model-card-toggle');
  await page.waitForSelector('#model-card-text');
  assert.equal(await page.textContent('#model-card-text'), readFileSync(join(dist, 'models', model.path, 'card.md'), 'utf8'));
  await page.click('#start-here-lesson');
  await page.waitForFunction(() => /[#&]n=/.test(location.hash) && document.getElementById('lesson-count')?.textContent.startsWith('step 1 of'));
  assert.equal(await page.isVisible('#start-here'), false, 'start here stays during a lesson');
  assertClean(browser);
});

test('every chart has its data as a table behind a toggle', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${model.id}&v=lens`);
  await waitForCharts(page, 'lens');
  const names = await page.$$eval('main figure.chart', (f) => f.map((x) => x.dataset.chart));
  for (const name of names) {
    const toggle = `figure[data-chart="${name}"] button.table-toggle`;
    assert.equal(await page.getAttribute(toggle, 'aria-expanded'), 'false');
    await page.click(toggle);
    await page.waitForSelector(`figure[data-chart="${name}"] table.data-table`);
    assert.equal(await page.getAttribute(toggle, 'aria-expanded'), 'true');
    const cells = await page.$$eval(`figure[data-chart="${name}"] table.data-table tbody tr`, (r) => r.length);
    assert.ok(cells > 0, `${name}: the table is empty`);
  }
  assertClean(browser);
});

// The view that waits on whole-suite analyses draws a first chart from a quicker
// part of them and fills in: the causal layers on a few items (said so in the
// caption) and the study without its controls first, then every chart, the
// study's controls and the whole sweep.
test('the recall-vs-reasoning view draws a first chart at once and fills in as the analyses finish', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${model.id}`);
  await predictions(page);
  await page.click('button.tab[data-view="study"]');
  await page.waitForSelector('figure[data-chart="study-causal-layers"] svg', { timeout: 60_000 });
  const caption = () => page.$eval('figure[data-chart="study-causal-layers"] figcaption', (c) => c.textContent);
  const early = await page.evaluate(() => ({
    charts: [...document.querySelectorAll('#view figure.chart')].map((f) => f.dataset.chart),
    controls: Boolean(document.getElementById('study-nulls')),
    progress: document.querySelectorAll('#view .progress').length,
  }));
  // The first charts are the previews' (the causal layers on a few items, the
  // study without its controls, which on the default sample can land together).
  const previews = ['study-causal-layers', 'study-layers', 'study-heads'];
  assert.ok(early.charts.length > 0 && early.charts.every((c) => previews.includes(c)),
    `the first charts are the quick previews' (${early.charts})`);
  assert.equal(early.controls, false);
  assert.ok(early.progress >= 2, 'the analyses still running show their progress');
  const firstLook = await caption();
  assert.match(firstLook, /over \d+ items \(a first look/);
  await page.waitForSelector('figure[data-chart="study-causal-heads"] svg', { timeout: 120_000 });
  await page.waitForSelector('#study-nulls', { timeout: 120_000 });
  const whole = await caption();
  assert.doesNotMatch(whole, /first look/);
  const count = (text) => Number(text.match(/over (\d+) items/)[1]);
  assert.ok(count(whole) > count(firstLook), `the whole sweep (${whole}) covers more items than the first look (${firstLook})`);
  assertClean(browser);
});
