// Opening a model from the Hugging Face Hub. A fake Hub answers under the real
// origins (Playwright request routing on https://huggingface.co and the CDN host
// it redirects to), so the shipped CSP is the one exercised. The fake repos are
// built from the small random GPT-2 of tests/data/parity/gpt2-f32: one whole, one
// split into two shards with an index, one missing, one whose weights download is
// cut short, one that is slow enough to cancel. hub-network.test.mjs does what
// routing cannot: a real redirect, a connection dropped mid-body, a body with no length.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { mergeSafetensors } from '../../web/src/models/hub.js';
import { formatHash, parseHash } from '../../web/src/state/url-state.js';
import { HUB_CORS, openHub, parseSafetensors as parse, serveHub, shardSafetensors, waitForModel } from './fake-hub.mjs';
import { openBrowser, requireSite, root, startServer } from './helpers.mjs';

const fixture = join(root, 'tests', 'data', 'parity', 'gpt2-f32');
const config = readFileSync(join(fixture, 'config.json'));
const whole = readFileSync(join(fixture, 'model.safetensors'));
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

const sharded = shardSafetensors(whole, 2);
const merged = Buffer.from(mergeSafetensors(sharded.shards.map((s) => new Uint8Array(s)), sharded.files));
const REPOS = {
  'test/tiny-gpt2': { 'config.json': config, 'model.safetensors': whole },
  'test/tiny-gpt2-sharded': { 'config.json': config, 'model.safetensors.index.json': sharded.index, [sharded.files[0]]: sharded.shards[0], [sharded.files[1]]: sharded.shards[1] },
  'test/huge': { 'config.json': config, 'model.safetensors.index.json': Buffer.from(JSON.stringify({ metadata: { total_size: 2e9 }, weight_map: { w: 'model-00001-of-00009.safetensors' } })) },
  'test/cut': { 'config.json': config, 'model.safetensors': whole },
  'test/slow': { 'config.json': config, 'model.safetensors': whole },
};

let site;
before(async () => {
  requireSite();
  site = await startServer();
});
after(async () => site?.close());

// The fake Hub (fake-hub.mjs) with this file's two awkward repos: test/slow holds
// its weights until released, test/cut sends them 100 bytes short.
async function serveTestHub(context, log) {
  const slow = { release: null };
  await serveHub(context, REPOS, { log, answer: async (route, repo, file, bytes) => {
    if (file !== 'model.safetensors') return false;
    if (repo === 'test/slow') await new Promise((r) => { slow.release = r; });
    if (repo !== 'test/cut') return false;
    await route.fulfill({ status: 200, headers: { ...HUB_CORS, 'content-length': String(bytes.length) }, body: bytes.subarray(0, bytes.length - 100) });
    return true;
  } });
  return slow;
}

async function modelError(page, pattern) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#model-error')?.textContent ?? ''), pattern.source, { timeout: 30_000 });
  return page.textContent('#model-error');
}

const loaded = (page, id) => waitForModel(page, id);

test('a Hub model opens with progress, is cached, reopens offline, and its link reproduces it', async () => {
  const started = Date.now();
  const browser = await openBrowser(site.url);
  const { page, context } = browser;
  const log = [];
  await serveTestHub(context, log);
  try {
    await page.goto(site.url);
    await page.waitForSelector('#hub-open');
    assert.equal(log.length, 0, 'nothing is fetched from the Hub before a click');
    await page.evaluate(() => {
      window.hubLines = [];
      new MutationObserver(() => window.hubLines.push(document.querySelector('#hub-progress-text')?.textContent ?? ''))
        .observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    // Whole checkpoint, through a redirect to the CDN host.
    assert.equal(await page.isHidden('#hub-progress'), true, 'no progress bar before a download');
    await openHub(page, 'test/tiny-gpt2@main');
    const id = `sha256-${sha(whole)}`;
    await loaded(page, id);
    const lines = await page.evaluate(() => window.hubLines);
    assert.ok(lines.some((l) => /^model\.safetensors: [\d.]+ MB of [\d.]+ MB · [\d.]+ MB\/s/.test(l)), `progress shows bytes and rate: ${lines.filter(Boolean).slice(-3)}`);
    assert.ok(log.includes('redirect /test/tiny-gpt2/resolve/main/model.safetensors -> https://cdn-lfs.hf.co/test/tiny-gpt2/resolve/main/model.safetensors'), 'the weights came through the CDN');
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, /hf=test%2Ftiny-gpt2%40main/);
    assert.ok(hash.includes(`model.safetensors%3A${sha(whole)}`) || hash.includes(`model.safetensors:${sha(whole)}`), hash);
    assert.ok(hash.includes(sha(config)), 'config.json hash in the link');
    const cached = await page.evaluate(async () => (await (await caches.open('strata-hub-v1')).keys()).map((r) => r.url));
    assert.deepEqual(cached.sort(), ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => `https://huggingface.co/test/tiny-gpt2/resolve/main/${f}`));

    // Offline: the Hub is unreachable; the reload reopens from Cache Storage.
    const link = page.url();
    await context.unrouteAll();
    const offline = [];
    await context.route(/^https:\/\/(huggingface\.co|cdn-lfs\.hf\.co)\//, (route) => { offline.push(route.request().url()); return route.abort('internetdisconnected'); });
    await page.goto('about:blank');
    await page.goto(link);
    await page.waitForSelector('#model-error');
    assert.match(await page.textContent('#model-error'), /This link opens test\/tiny-gpt2@main from the Hugging Face Hub/);
    assert.equal(await page.inputValue('#hub-id'), 'test/tiny-gpt2@main');
    await page.click('#hub-open');
    await loaded(page, id);
    assert.deepEqual(offline, [], 'the offline reopen asked the network for nothing');

    // The link on another machine (a fresh profile): nothing before the click, the same model after it.
    const other = await openBrowser(site.url);
    const otherLog = [];
    await serveTestHub(other.context, otherLog);
    try {
      await other.page.goto(link);
      await other.page.waitForSelector('#model-error');
      assert.equal(otherLog.length, 0, 'a link never fetches by itself');
      await other.page.click('#hub-open');
      await loaded(other.page, id);

      // A link whose hash differs is refused, naming the file and both hashes.
      const bad = link.replace(`model.safetensors%3A${sha(whole)}`, `model.safetensors%3A${'0'.repeat(64)}`);
      assert.notEqual(bad, link);
      await other.page.evaluate(() => caches.delete('strata-hub-v1'));
      await other.page.goto('about:blank');
      await other.page.goto(bad);
      await other.page.waitForSelector('#hub-open');
      await other.page.click('#hub-open');
      const message = await modelError(other.page, /differs/);
      assert.match(message, new RegExp(`Could not open test/tiny-gpt2@main from the Hub: model\\.safetensors: SHA-256 ${sha(whole).slice(0, 12)}… differs from the link's 000000000000…`));
      assert.deepEqual(other.pageErrors, []);
    } finally {
      await other.close();
    }
    assert.deepEqual(browser.pageErrors, []);
  } finally {
    await browser.close();
  }
});

test('sharded checkpoints merge exactly and open; the link fields; a 404, a model over the limit, a cut download, a bad id and a cancel get their messages', async () => {
  // The merge keeps every tensor's bytes, dtype and shape.
  const a = parse(whole);
  const b = parse(merged);
  assert.deepEqual(Object.keys(b.header).sort(), Object.keys(a.header).filter((k) => k !== '__metadata__').sort());
  for (const [name, t] of Object.entries(b.header)) {
    const o = a.header[name];
    assert.deepEqual([t.dtype, t.shape], [o.dtype, o.shape], name);
    assert.ok(a.data.subarray(...o.data_offsets).equals(b.data.subarray(...t.data_offsets)), name);
  }
  assert.equal((8 + Number(merged.readBigUInt64LE(0))) % 8, 0, 'the data starts 8-byte aligned');

  // The link fields: a round trip, and malformed values dropped with a notice naming them.
  const hashes = { 'config.json': sha(config), 'model.safetensors': sha(whole) };
  assert.deepEqual(parseHash(formatHash({ ...parseHash('').state, hub: 'test/tiny-gpt2@main', hubFiles: hashes })).state.hubFiles, hashes);
  assert.deepEqual(parseHash('#hf=../x@main&hs=config.json:abc').notices, [
    'The link\'s Hub model was ignored: "../x@main" is not a Hugging Face model id (owner/name, letters, digits, . _ -).',
    'The link\'s Hub file hashes were ignored: expected file:sha256 pairs, found "config.json:abc".',
  ]);

  const browser = await openBrowser(site.url);
  const { page, context } = browser;
  const log = [];
  const slow = await serveTestHub(context, log);
  try {
    await page.goto(site.url);
    await page.waitForSelector('#hub-open');

    await openHub(page, 'test/tiny-gpt2-sharded');
    await loaded(page, `sha256-${sha(merged)}`);
    const hash = await page.evaluate(() => location.hash);
    for (const f of sharded.files) assert.ok(hash.includes(sha(sharded.shards[sharded.files.indexOf(f)])), `${f} hash in the link`);

    await openHub(page, 'test/nothing-here@main');
    assert.match(await modelError(page, /not found/), /Could not open test\/nothing-here@main from the Hub: config\.json: not found on the Hub \(test\/nothing-here@main\); check the model id and revision\./);

    await openHub(page, 'test/cut');
    assert.match(await modelError(page, /cut/), /Could not open test\/cut@main from the Hub: model\.safetensors: the download was cut after \d+ of \d+ bytes\./);

    await openHub(page, 'test/huge');
    assert.match(await modelError(page, /can open/), /Could not open test\/huge@main from the Hub: model\.safetensors\.index\.json: the weights are 2000\.0 MB; this page can open up to 1610\.6 MB\./);
    assert.ok(!log.some((u) => u.includes('model-00001-of-00009')), 'no shard of a model over the limit is fetched');

    await openHub(page, 'not a model id');
    assert.match(await modelError(page, /not a Hugging Face/), /Could not open from the Hub: "not a model id" is not a Hugging Face model id/);

    await openHub(page, 'test/slow');
    await page.waitForSelector('#hub-progress', { state: 'visible' });
    assert.match(await page.textContent('#hub-progress-text'), /Connecting to the Hub for test\/slow@main|MB/);
    while (!slow.release) await new Promise((r) => setTimeout(r, 20));
    await page.click('#hub-cancel');
    await page.waitForFunction(() => /The download of test\/slow@main was cancelled/.test(document.querySelector('#notices')?.textContent ?? ''));
    await page.waitForSelector('#hub-progress', { state: 'hidden' });
    assert.equal(await page.isEnabled('#hub-open'), true);
    slow.release();
    // The page stays usable: the whole model opens next.
    await openHub(page, 'test/tiny-gpt2');
    await loaded(page, `sha256-${sha(whole)}`);
    assert.deepEqual(browser.pageErrors, []);
  } finally {
    await browser.close();
  }
});
