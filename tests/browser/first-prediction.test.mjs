// The first prediction's critical path on a first visit (one thread): it runs
// on the prediction-only engine module; the full module is fetched after it,
// takes over once it holds the model, and runs the analyses. Where the
// prediction-only module cannot be fetched, the full one predicts instead.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertClean, openBrowser, openView, predictions, requireSite, startServer } from './helpers.mjs';

requireSite();
const CORE = '/engine/strata-engine-core.wasm', FULL = '/engine/strata-engine.wasm';
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Opens the page and waits for its first prediction: -> {page, before, all}, the
// paths requested before the strata:first-prediction mark (workers' requests
// included) and all paths requested so far.
async function firstVisit(url) {
  const page = await browser.context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ request: r, seen: Date.now() }));
  await page.goto(url);
  await predictions(page);
  const markAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByName('strata:first-prediction')[0].startTime);
  // A request's start time is known once its answer has come; until then, the
  // time the test saw it (never earlier than its start) stands in.
  const started = ({ request, seen }) => (request.timing().startTime > 0 ? request.timing().startTime : seen);
  const path = ({ request }) => new URL(request.url()).pathname;
  return { page, before: () => requests.filter((r) => started(r) <= markAt).map(path), all: () => requests.map(path) };
}

test('a first visit predicts on the prediction-only module; the full one comes after and runs the analyses', async () => {
  const { page, before, all } = await firstVisit(server.url);
  try {
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    assert.ok(before().includes(CORE), `the prediction-only module was not fetched before the first prediction: ${before().join(', ')}`);
    assert.ok(!before().includes(FULL), 'the full engine module was fetched before the first prediction');
    await openView(page, 'attribution');
    assert.ok(all().includes(FULL), 'the analyses ran without the full engine module');
    // The prediction-only worker stops once a full worker holds the model.
    await page.waitForFunction(() => window.strata.pool.workers.every((w) => !w.core), null, { timeout: 30_000 });
    // A new prediction, now on the full module.
    await page.click('button.tab[data-view="model"]');
    const prompt = (await page.inputValue('#prompt')).split(' ').slice(0, -1).join(' ');
    await page.fill('#prompt', prompt);
    await page.click('#run-prompt');
    await page.waitForFunction((p) => document.querySelector('#summary .prompt-chip')?.textContent.includes(p), prompt);
    assert.ok((await predictions(page)).length > 0);
  } finally {
    await page.close();
  }
  assertClean(browser);
});

test('without the prediction-only module, the full one makes the first prediction', async () => {
  const missing = await startServer(undefined, {}, [CORE]);
  try {
    const { page, before } = await firstVisit(missing.url);
    try {
      assert.ok(before().includes(CORE) && before().includes(FULL), `requests before the first prediction: ${before().join(', ')}`);
      assert.ok((await predictions(page)).length > 0);
    } finally {
      await page.close();
    }
  } finally {
    await missing.close();
  }
});
