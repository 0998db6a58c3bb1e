// Opening a model from the Hugging Face Hub. A fake Hub answers under the real
// origins (Playwright request routing on https://huggingface.co and the CDN host
// it redirects to), so the shipped CSP is the one exercised. The fake repos are
// built from the small random GPT-2 of tests/data/parity/gpt2-f32: one whole, one
// split into two shards with an index, one missing, one whose weights download is
// cut short, one that is slow enough to cancel.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { mergeSafetensors } from '../../web/src/models/hub.js';
import { formatHash, parseHash } from '../../web/src/state/url-state.js';
import { openBrowser, requireSite, root, startServer } from './helpers.mjs';

const fixture = join(root, 'tests', 'data', 'parity', 'gpt2-f32');
const config = readFileSync(join(fixture, 'config.json'));
const whole = readFileSync(join(fixture, 'model.safetensors'));
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

function parse(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString()), data: bytes.subarray(8 + n) };
}

function write(header) {
  const json = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(header).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data_offsets: t.data_offsets }]))));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return [len, json];
}

// Two shards: the first half of the tensors and the rest, as transformers writes them.
function shard() {
  const { header, data } = parse(whole);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const halves = [names.slice(0, names.length / 2 | 0), names.slice(names.length / 2 | 0)];
  const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const shards = halves.map((part) => {
    const h = {};
    const bodies = [];
    let at = 0;
    for (const name of part) {
      const [b, e] = header[name].data_offsets;
      h[name] = { ...header[name], data_offsets: [at, at + e - b] };
      bodies.push(data.subarray(b, e));
      at += e - b;
    }
    return Buffer.concat([...write(h), ...bodies]);
  });
  const weightMap = Object.fromEntries(halves.flatMap((part, i) => part.map((n) => [n, files[i]])));
  const index = Buffer.from(JSON.stringify({ metadata: { total_size: data.length }, weight_map: weightMap }));
  return { files, shards, index };
}

const sharded = shard();
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

const CORS = { 'access-control-allow-origin': '*' };

// The fake Hub. The real one redirects .safetensors files to a CDN host; Playwright's
// routing does not see the requests a redirect makes, so the fake follows that
// redirect itself (logged) and answers the resolve URL with the CDN's bytes.
async function serveHub(context, log) {
  const slow = { release: null };
  await context.route(/^https:\/\/huggingface\.co\//, async (route) => {
    const url = new URL(route.request().url());
    log.push(url.href);
    const m = /^\/(.+)\/resolve\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || m[2] !== 'main') return route.fulfill({ status: 404, headers: CORS, body: 'Entry not found' });
    const [, repo, , file] = m;
    const bytes = REPOS[repo]?.[file];
    if (!bytes) return route.fulfill({ status: 404, headers: CORS, body: 'Repository not found' });
    if (file.endsWith('.safetensors')) log.push(`redirect ${url.pathname} -> https://cdn-lfs.hf.co${url.pathname}`);
    if (repo === 'test/slow' && file === 'model.safetensors') await new Promise((r) => { slow.release = r; });
    if (repo === 'test/cut' && file === 'model.safetensors') {
      return route.fulfill({ status: 200, headers: { ...CORS, 'content-length': String(bytes.length) }, body: bytes.subarray(0, bytes.length - 100) });
    }
    return route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/octet-stream' }, body: bytes });
  });
  return slow;
}

async function openHub(page, ref) {
  await page.fill('#hub-id', ref);
  await page.click('#hub-open');
}

async function modelError(page, pattern) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#model-error')?.textContent ?? ''), pattern.source, { timeout: 30_000 });
  return page.textContent('#model-error');
}

async function loaded(page, id) {
  await page.waitForFunction((want) => location.hash.includes(`m=${want}`) && document.querySelector('#model-select')?.value === want, id, { timeout: 30_000 });
}

test('a Hub model opens with progress, is cached, reopens offline, and its link reproduces it', async () => {
  const started = Date.now();
  const browser = await openBrowser(site.url);
  const { page, context } = browser;
  const log = [];
  await serveHub(context, log);
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
    await serveHub(other.context, otherLog);
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
  const slow = await serveHub(context, log);
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
