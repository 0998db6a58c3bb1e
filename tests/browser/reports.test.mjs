// Reports and links for the analysis views: a copied link reproduces the same
// numbers in a fresh browser; "Save report" writes the engine's versioned report;
// "Open report" shows its results without computing anything; a broken report
// gets a message naming the problem and the page keeps working.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertClean, dist, openBrowser, predictions, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[manifest.models.length - 1];
let server;
let browser;
let scratch;
let reportFile;
let shownValues;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-reports-'));
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// Every cell value of every chart in the view, by chart.
function chartValues(page) {
  return page.$$eval('main figure.chart', (figures) => Object.fromEntries(figures.map((f) => [f.dataset.chart,
    [...f.querySelectorAll('[data-value]')].map((c) => c.dataset.value)])));
}

test('a copied link to an analysis view reproduces its numbers in a fresh browser', async () => {
  const { page } = browser;
  const item = JSON.parse(readFileSync(join(dist, 'models', model.path, 'suite.json'), 'utf8')).items.find((it) => it.kind === 'compare');
  await page.goto(`${server.url}#m=${model.id}&i=${item.id}&v=lens`);
  await waitForCharts(page, 'lens');
  shownValues = await chartValues(page);
  assert.ok(shownValues['logit-lens'].length > 10, 'the logit lens has no cells');
  await page.click('#copy-link');
  const link = await page.inputValue('#share-link');
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(link);
    await waitForCharts(fresh.page, 'lens');
    assert.deepEqual(await chartValues(fresh.page), shownValues);
    assertClean(fresh);
  } finally {
    await fresh.close();
  }
});

test('"Save report" writes the engine\'s report of the analyses shown', async () => {
  const { page } = browser;
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-report')]);
  reportFile = join(scratch, download.suggestedFilename());
  await download.saveAs(reportFile);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  assert.equal(report.format, 'strata-report');
  assert.equal(report.model.id, model.id);
  for (const name of ['logit-lens', 'tuned-lens']) {
    assert.ok(report.analyses.includes(name), `the report lacks ${name}`);
    assert.equal(report.results[name].mode, 'prompt');
  }
  assertClean(browser);
});

test('an opened report is shown without recomputing, with the same numbers', async () => {
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(`${server.url}#m=${model.id}&v=model`);
    await predictions(fresh.page);
    await fresh.page.setInputFiles('#report-file', reportFile);
    await fresh.page.waitForSelector('#report-open');
    await fresh.page.waitForFunction(() => document.getElementById('view').dataset.view === 'lens');
    await waitForCharts(fresh.page, 'lens');
    assert.equal(await fresh.page.evaluate(() => window.strata.analysisCache.size), 0, 'the page computed an analysis while a report was open');
    assert.deepEqual(await chartValues(fresh.page), shownValues);
    await fresh.page.screenshot({ path: join(resultsDir, 'report-opened.png'), fullPage: true });
    const close = await fresh.page.$('#close-report');
    await fresh.page.evaluate(() => window.strata.render());
    assert.ok(await close.evaluate((button) => button.isConnected), 'a render replaced "Close report"');
    await close.click();
    await fresh.page.waitForFunction(() => !document.getElementById('report-open'));
    assertClean(fresh);
  } finally {
    await fresh.close();
  }
});

test('a broken report gets a message naming the problem, and the page keeps working', async () => {
  const { page } = browser;
  const text = readFileSync(reportFile, 'utf8');
  const broken = join(scratch, 'broken-report.json');
  writeFileSync(broken, text.slice(0, Math.floor(text.length / 2)));
  await page.setInputFiles('#report-file', broken);
  await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice.error')].some((n) => /broken-report\.json could not be opened/.test(n.textContent)));
  const wrong = join(scratch, 'wrong-format.json');
  writeFileSync(wrong, JSON.stringify({ ...JSON.parse(text), format: 'something-else' }));
  await page.setInputFiles('#report-file', wrong);
  await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice.error')].some((n) => /wrong-format\.json could not be opened: .*format/.test(n.textContent)));
  await page.screenshot({ path: join(resultsDir, 'broken-report.png'), fullPage: true });
  assert.equal(await page.$('#report-open'), null, 'a broken report was opened');
  await page.click('button.tab[data-view="model"]');
  assert.ok((await predictions(page)).length > 0);
  assertClean(browser);
});
