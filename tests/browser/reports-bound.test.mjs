// Reports say whose they are and hold what is on screen: "Save report" writes
// exactly the analyses the view shows, with the item, prompt and seed they were
// computed with (checked across item, prompt and seed changes); an opened report
// shows its model id, weights SHA-256, suite and date, is shown only while its
// model is loaded (opening it switches to that model), and switching model closes
// it with a notice. A report of a model the page does not have, or of other
// weights under a known id, is refused with a message.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertClean, dist, openBrowser, predictions, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';

const manifest = requireSite();
const [first, second] = manifest.models;
const suite = JSON.parse(readFileSync(join(dist, 'models', first.path, 'suite.json'), 'utf8')).items;
const [itemA, itemB] = suite.filter((it) => it.kind === suite[0].kind);
let server;
let browser;
let scratch;
let savedReport;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-reports-bound-'));
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function save(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-report')]);
  const file = join(scratch, name);
  await download.saveAs(file);
  return { file, report: JSON.parse(readFileSync(file, 'utf8')) };
}

// What the lens view shows: each analysis's settings, seed and result.
function onScreen(page) {
  return page.evaluate(() => Object.fromEntries(Object.values(window.strata.data.analyses)
    .filter((e) => e.status === 'done').map((e) => [e.name, { settings: e.settings, seed: e.seed, result: e.result }])));
}

async function assertReportIsScreen(page, report, what) {
  const shown = await onScreen(page);
  assert.deepEqual([...report.analyses].sort(), Object.keys(shown).sort(), `${what}: the report holds other analyses than the view`);
  for (const [name, s] of Object.entries(shown)) {
    assert.deepEqual(report.settings[name], s.settings, `${what}: ${name} settings`);
    assert.equal(report.seed, s.seed, `${what}: seed`);
    assert.deepEqual(report.results[name], s.result, `${what}: ${name} result`);
  }
}

const setState = (page, patch) => page.evaluate((p) => window.strata.actions.set(p), patch);

test('"Save report" writes the analyses on screen, across item, prompt and seed changes', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${first.id}&i=${itemA.id}&v=lens`);
  await waitForCharts(page, 'lens');
  await setState(page, { item: itemB.id, prompt: null });
  await waitForCharts(page, 'lens');
  await setState(page, { item: itemA.id, prompt: null });
  await waitForCharts(page, 'lens');
  const a = await save(page, 'item-a.json');
  savedReport = a.file;
  assert.equal(a.report.settings['logit-lens'].item, itemA.id, 'the report holds another item than the one on screen');
  assert.equal(a.report.results['logit-lens'].case.item, itemA.id);
  await assertReportIsScreen(page, a.report, 'back to item A');

  await setState(page, { item: null, prompt: itemB.prompt });
  await waitForCharts(page, 'lens');
  const typed = await save(page, 'typed.json');
  assert.equal(typed.report.settings['logit-lens'].prompt, itemB.prompt);
  await assertReportIsScreen(page, typed.report, 'typed prompt');

  await setState(page, { item: itemA.id, prompt: null, seed: 5 });
  await waitForCharts(page, 'lens');
  const seeded = await save(page, 'seed.json');
  assert.equal(seeded.report.seed, 5);
  await assertReportIsScreen(page, seeded.report, 'seed 5');
  assertClean(browser);
});

test('an opened report names its model, weights, suite and date, switches to its model, and closes when the model changes', async () => {
  const fresh = await openBrowser(server.url);
  try {
    const { page } = fresh;
    await page.goto(`${server.url}#m=${second.id}`);
    await predictions(page);
    const report = JSON.parse(readFileSync(savedReport, 'utf8'));
    await page.setInputFiles('#report-file', savedReport);
    await page.waitForSelector('#report-open');
    await page.waitForFunction((id) => window.strata.data.model?.id === id, first.id);
    await waitForCharts(page, 'lens');
    assert.equal(await page.textContent('#report-model'), first.id);
    assert.equal(await page.textContent('#report-sha'), `${report.model.weights_sha256.slice(0, 16)}…`);
    assert.match(await page.textContent('#report-suite'), new RegExp(`^${report.suite.n_items} items`));
    assert.match(await page.textContent('#report-date'), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    assert.equal(await page.evaluate(() => window.strata.analysisCache.size), 0, 'the page computed an analysis while the report was open');
    await page.screenshot({ path: join(resultsDir, 'report-bound.png'), fullPage: true });

    await page.click('button.tab[data-view="model"]');
    await page.selectOption('#model-select', second.id);
    await page.waitForFunction(() => !document.getElementById('report-open'));
    const notices = await page.$$eval('#notices .notice', (n) => n.map((x) => x.textContent));
    assert.ok(notices.some((t) => t.includes(`report ${savedReport.split('/').pop()} was closed`) && t.includes(first.id)), `no notice says the report was closed: ${notices.join(' | ')}`);
    await page.click('button.tab[data-view="lens"]');
    await waitForCharts(page, 'lens');
    assert.ok(await page.evaluate(() => Object.values(window.strata.data.analyses).every((e) => !e.fromReport)), 'the report\'s results are still shown');
    assertClean(fresh);
  } finally {
    await fresh.close();
  }
});

test('a report of a model the page does not have, or of other weights under a known id, is refused', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${first.id}&v=model`);
  await predictions(page);
  const report = JSON.parse(readFileSync(savedReport, 'utf8'));
  const stranger = join(scratch, 'stranger.json');
  writeFileSync(stranger, JSON.stringify({ ...report, model: { ...report.model, id: 'some-other-model', weights_sha256: 'cd'.repeat(32) } }));
  await page.setInputFiles('#report-file', stranger);
  await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice.error')].some((n) => /stranger\.json could not be opened: .*some-other-model/.test(n.textContent)));
  const forged = join(scratch, 'forged.json');
  writeFileSync(forged, JSON.stringify({ ...report, model: { ...report.model, weights_sha256: 'ef'.repeat(32) } }));
  await page.setInputFiles('#report-file', forged);
  await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice.error')].some((n) => /forged\.json could not be opened: .*weights SHA-256 efefef/.test(n.textContent)));
  assert.equal(await page.$('#report-open'), null, 'a report of other weights was opened');
  assertClean(browser);
});
