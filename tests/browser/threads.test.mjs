// The threaded engine module on a static host that sets no headers: the first
// visit runs the single-threaded module (the page is not cross-origin isolated)
// and says so; the service worker then isolates the page, the next load runs
// the threaded module on every core, and its logits and attention patterns
// equal the single-threaded module's. And where the threaded module cannot
// start, the single-threaded one takes over.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertClean, openBrowser, predictions, requireSite, startServer } from './helpers.mjs';

const manifest = requireSite();
const TOLERANCE = 1e-5;
let server;
let browser;

before(async () => {
  server = await startServer();  // no COOP/COEP headers, as on most static hosts
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const threadsNote = (page) => page.evaluate(() => {
  const note = document.getElementById('engine-threads');
  return { threads: Number(note?.dataset.threads), text: note?.textContent ?? '' };
});

// Runs a full-length prompt through the page's pool and through a second pool
// on the single-threaded module: the largest differences of the logits and of
// every attention pattern.
const compareWithSingleThread = (page) => page.evaluate(async () => {
  const app = window.strata;
  const model = app.data.model;
  const files = app.pool.models.get(model.key);
  const single = new app.pool.constructor({ engineUrl: new URL('engine/strata-engine.js', document.baseURI).href, size: 1 });
  single.setModel(model.key, files);
  const n = model.info.n_ctx, vocab = model.info.d_vocab;
  const ids = Array.from({ length: n }, (_, i) => (i * 37 + 5) % vocab);
  const request = { capture: model.hooks.all('attn.hook_pattern'), interventions: [] };
  const [threaded, alone] = [await app.pool.run(model.key, ids, request, 5), await single.run(model.key, ids, request, 5)];
  const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  const attention = Object.keys(alone.captures).map((h) => maxDiff(threaded.captures[h].data, alone.captures[h].data));
  return { positions: n, logits: maxDiff(threaded.logits.data, alone.logits.data), attention: Math.max(...attention),
    hooks: attention.length, threading: app.pool.threading, singleThreading: single.threading };
});

test('the first visit runs on one thread and says why; the next load runs threaded with the same numbers', async (t) => {
  const { page } = browser;
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const model = manifest.models[0].id;
  await page.goto(`${server.url}#m=${model}`);
  await predictions(page);
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  const first = await threadsNote(page);
  assert.equal(first.threads, 1);
  assert.match(first.text, /one thread \(the page is not cross-origin isolated\)/);
  assert.ok(!requests.some((u) => /strata-engine-threads/.test(u)), 'the threaded module was fetched on a page that cannot run it');

  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  assert.match((await threadsNote(page)).text, /Reload the page to use every core/);
  requests.length = 0;
  await page.reload();
  await predictions(page);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the service worker did not isolate the page');
  const second = await threadsNote(page);
  if (cores < 2) {
    t.diagnostic('one core: the threaded module is not used');
    assert.equal(second.threads, 1);
    return;
  }
  assert.equal(second.threads, Math.min(cores, 8));
  assert.match(second.text, new RegExp(`runs on ${second.threads} threads`));
  assert.ok(requests.some((u) => /strata-engine-threads\.worker\.js$/.test(u)), 'no thread of the threaded module started');

  const diff = await compareWithSingleThread(page);
  t.diagnostic(`${model}, ${diff.positions} positions on ${diff.threading.cores} threads: max |Δ| logits ${diff.logits}, `
    + `attention ${diff.attention} over ${diff.hooks} patterns`);
  assert.equal(diff.threading.threaded, true);
  assert.equal(diff.singleThreading.threaded, false);
  assert.ok(diff.hooks > 0);
  assert.ok(diff.logits <= TOLERANCE, `logits differ by ${diff.logits}`);
  assert.ok(diff.attention <= TOLERANCE, `attention differs by ${diff.attention}`);
  assertClean(browser);
});

test('an isolated page whose threaded module cannot start falls back to one thread, without an error', async () => {
  const isolating = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const broken = await startServer(undefined, isolating, ['/engine/strata-engine-threads.wasm']);
  const fresh = await openBrowser(broken.url);
  try {
    const { page } = fresh;
    await page.goto(`${broken.url}#m=${manifest.models[0].id}`);
    await predictions(page);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    const note = await threadsNote(page);
    assert.equal(note.threads, 1);
    assert.match(note.text, /one thread \(the threaded engine could not start: .*strata-engine-threads\.wasm: HTTP 404/);
    assert.equal(await page.locator('#notices .notice.error').count(), 0, 'the fallback showed an error');
    assertClean(fresh);
  } finally {
    await fresh.close();
    await broken.close();
  }
});
