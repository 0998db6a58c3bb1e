// Faults the page must survive, in headless Chromium: oversized and garbled links
// (also arriving while the page is in use), every handcrafted bad file of
// tests/data/bad dropped in as part of a model, a model whose vocabulary and
// config are markup, an engine worker dying in the middle of a sweep of runs,
// and the Content-Security-Policy. After each, the page still predicts and the
// state the user had (the URL hash, the prediction) is unchanged. Every message
// the page showed for a bad file is written to web/test-results/bad-*-files.json.
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { HUB_ORIGIN } from '../../web/src/models/hub.js';
import { assertClean, dist, openBrowser, predictions, requireSite, resultsDir, root, startServer } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[0];
const modelDir = join(dist, 'models', model.path);
const badDir = join(root, 'tests', 'data', 'bad');
let server;
let scratch;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-faults-'));
  server = await startServer();
});

after(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function withBrowser(body) {
  const b = await openBrowser(server.url);
  try {
    await body(b);
    assertClean(b);
  } finally {
    await b.close();
  }
}

async function notices(page) {
  return (await page.$$eval('#notices .notice', (n) => n.map((x) => x.textContent))).join('\n');
}

// Nothing from a link or a file became markup or ran: no element of the kinds the
// hostile strings carry, and none of their handlers set the flag they would set.
async function assertNothingRan(page) {
  assert.equal(await page.$$eval('img, iframe, object, embed, script:not([src]), svg[onload], [onerror], [onload]', (x) => x.length), 0,
    'markup from untrusted text reached the DOM');
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null, 'a handler from untrusted text ran');
}

const HOSTILE_ITEMS = [
  ['model', `m=${encodeURIComponent('"><script>window.__pwned=1</script>')}`],
  ['prompt', `p=${encodeURIComponent('ada \u0000 boris')}`],
  ['layer', 'l=1e999'],
  ['head', 'h=%5B1%2C2%5D'],
  ['view', `v=${encodeURIComponent('javascript:window.__pwned=1')}`],
  ['ablations', `x=${encodeURIComponent('{"__proto__":{"polluted":1}}')}`],
  ['seed', 's=99999999999999999999999'],
  ['lesson step', 'k=-0.5'],
  ['suite item', `i=${encodeURIComponent('<img src=x onerror=window.__pwned=1>')}`],
];

test('a 100 KB link is ignored as a whole with a notice, and the page predicts', async () => {
  await withBrowser(async ({ page }) => {
    const huge = `p=${'<b>'.repeat(34_000)}&l=2`;
    assert.ok(huge.length > 100_000);
    await page.goto(`${server.url}#${huge}`);
    await page.waitForSelector('#notices .notice');
    assert.match(await notices(page), /The link is longer than 8192 characters; it was ignored\./);
    assert.ok((await predictions(page)).length > 0, 'no prediction after a 100 KB link');
    assert.ok((await page.evaluate(() => location.hash.length)) < 1000, 'the 100 KB hash was kept in the address bar');
    await assertNothingRan(page);
  });
});

test('a link with a wrong value in every field keeps nothing of them, names each, runs nothing', async () => {
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#${HOSTILE_ITEMS.map(([, item]) => item).join('&')}&%3Cq%3E=1&toString=2`);
    const rows = await predictions(page);
    assert.ok(rows.length > 0);
    const text = await notices(page);
    for (const [label] of HOSTILE_ITEMS) {
      const verb = label === 'ablations' ? 'were' : 'was';
      assert.match(text, new RegExp(`The link's ${label} ${verb} ignored: `), `no notice for the ${label}:\n${text}`);
    }
    assert.match(text, /fields this page does not know[^]*<q>[^]*toString/);
    assert.equal(await page.evaluate(() => ({}).polluted ?? null), null, 'Object.prototype was polluted');
    assert.equal(await page.getAttribute('button.tab[aria-current="page"]', 'data-view'), 'model');
    await assertNothingRan(page);
    await page.screenshot({ path: join(resultsDir, 'faults-hostile-link.png'), fullPage: true });
  });
});

test('a hostile link arriving while the page is in use changes nothing it cannot parse, and runs nothing', async () => {
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#p=${encodeURIComponent('city cyril nash ?')}&x=h0.0`);
    const before = await predictions(page);
    await page.evaluate(() => { location.hash = '#p=city%20cyril%20nash%20%3F&x=h0.0&l=%3Csvg%20onload%3Dwindow.__pwned%3D1%3E&zz=%22%3E%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E'; });
    await page.waitForFunction(() => /layer was ignored/.test(document.querySelector('#notices')?.textContent ?? ''));
    assert.deepEqual(await predictions(page), before, 'the prediction changed after a garbled field');
    assert.match(await page.evaluate(() => location.hash), /x=h0\.0/);
    await assertNothingRan(page);
  });
});

// The model's files in a scratch folder, with one of them replaced.
function modelFolder(name, replace) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(modelDir, f), join(dir, f));
  for (const [f, bytes] of Object.entries(replace)) writeFileSync(join(dir, f), bytes);
  return ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => join(dir, f));
}

test('every handcrafted bad file, dropped in as part of a model, is refused with its message; the state is kept', async () => {
  const bad = readdirSync(badDir).filter((f) => /^(config|json|safetensors)-.*\.(json|safetensors)$/.test(f)).sort();
  assert.ok(bad.length >= 58, `only ${bad.length} bad model files`);
  const seen = {};
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#p=${encodeURIComponent('city cyril nash ?')}&x=h1.0,m0`);
    const before = await predictions(page);
    const hash = await page.evaluate(() => location.hash);
    for (const file of bad) {
      // A bad .safetensors replaces the weights; any bad JSON file stands in for config.json.
      const target = file.endsWith('.safetensors') ? 'model.safetensors' : 'config.json';
      await page.evaluate(() => document.querySelector('#model-error')?.remove());
      await page.setInputFiles('#model-files', modelFolder(file, { [target]: readFileSync(join(badDir, file)) }));
      await page.waitForSelector('#model-error', { timeout: 30_000 });
      const message = await page.textContent('#model-error');
      seen[file] = message;
      assert.match(message, new RegExp(`^Could not open the dropped model: model/${target.replace('.', '\\.')}[: ]`), `${file}: ${message}`);
      assert.equal(await page.evaluate(() => location.hash), hash, `${file}: the link changed`);
    }
    writeFileSync(join(resultsDir, 'bad-model-files.json'), `${JSON.stringify(seen, null, 1)}\n`);
    // The model that was open before is still open, with the same prediction.
    await page.click('#run-prompt');
    assert.deepEqual(await predictions(page), before);
    await assertNothingRan(page);
  });
});

// A GPT-2 config and a safetensors file of one F16 embedding [vocab, d_model],
// zero-filled (a sparse file, so that it costs no disk): its header is valid and
// its data region exactly as long as the header says.
// A GPT-2 config and a model.safetensors of one F16 tensor of `shape`, all zeros (a sparse file).
function largeModel(name, shape) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const config = { model_type: 'gpt2', n_positions: 32, n_embd: 1000, n_layer: 1, n_head: 8, vocab_size: 1000, tie_word_embeddings: true };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const bytes = shape.reduce((a, b) => a * b, 1) * 2;
  let header = JSON.stringify({ values: { dtype: 'F16', shape, data_offsets: [0, bytes] } });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const prefix = Buffer.alloc(8 + header.length);
  prefix.writeBigUInt64LE(BigInt(header.length));
  prefix.write(header, 8, 'latin1');
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  writeSync(fd, prefix);
  ftruncateSync(fd, prefix.length + bytes);
  closeSync(fd);
  return { files: [join(dir, 'config.json'), join(dir, 'model.safetensors')], size: prefix.length + bytes };
}

test('every handcrafted broken report is refused with a notice naming it; the state is kept', async () => {
  const bad = readdirSync(badDir).filter((f) => /^report-.*\.json$/.test(f)).sort();
  assert.ok(bad.length >= 20, `only ${bad.length} broken reports`);
  const seen = {};
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#p=${encodeURIComponent('city cyril nash ?')}&x=m0`);
    const before = await predictions(page);
    const hash = await page.evaluate(() => location.hash);
    for (const file of bad) {
      await page.setInputFiles('#report-file', join(badDir, file));
      const prefix = `The report ${file} could not be opened: `;
      await page.waitForFunction((p) => [...document.querySelectorAll('#notices .notice')].some((n) => n.textContent.includes(p)), prefix);
      const message = (await notices(page)).split('\n').find((n) => n.includes(prefix));
      seen[file] = message.replace(/×$/, '');
      assert.match(message, /could not be opened: report: /, `${file}: ${message}`);
      assert.equal(await page.evaluate(() => location.hash), hash, `${file}: the link changed`);
    }
    writeFileSync(join(resultsDir, 'bad-report-files.json'), `${JSON.stringify(seen, null, 1)}\n`);
    await page.click('#run-prompt');
    assert.deepEqual(await predictions(page), before);
    await assertNothingRan(page);
  });
});

test('a model larger than the engine can hold is refused with its size and the limit, and the page keeps its model', async () => {
  // One F16 vector of 240M values: a 480 MB file. A vector is widened to f32 when loaded, so
  // loading needs the file, 960 MB of f32 and two working copies: 3.36 GB, over the engine's
  // 3 GiB. The memory is checked before any tensor is looked up by name.
  const big = largeModel('too-big', [240_000_000]);
  // Over the page's 1.5 GiB cap on model.safetensors: refused before the file is read.
  const huge = largeModel('huge', [1_000_000, 1000]);
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#p=${encodeURIComponent('city cyril nash ?')}`);
    const before = await predictions(page);
    const hash = await page.evaluate(() => location.hash);
    await page.setInputFiles('#model-files', big.files);
    await page.waitForSelector('#model-error', { timeout: 120_000 });
    const needed = big.size + 240_000_000 * 4 * 3;
    assert.equal(await page.textContent('#model-error'),
      `Could not open the dropped model: model/model.safetensors: the model needs ${(needed / 2 ** 30).toFixed(1)} GiB (${needed} bytes) of memory to load `
      + `(the 0.4 GiB (${big.size} bytes) file, its weights and two working copies of the largest tensor), more than the engine's limit of 3.0 GiB (3221225472 bytes)`);
    await page.evaluate(() => document.querySelector('#model-error')?.remove());
    await page.setInputFiles('#model-files', huge.files);
    await page.waitForSelector('#model-error');
    assert.equal(await page.textContent('#model-error'),
      `Could not open the dropped model: model.safetensors is 1.86 GiB (${huge.size} bytes); this page can open models up to 1.5 GiB (1610612736 bytes).`);
    assert.equal(await page.evaluate(() => location.hash), hash);
    await page.click('#run-prompt');
    assert.deepEqual(await predictions(page), before);
  });
});

test('a model whose vocabulary and config strings are markup is shown as text', async () => {
  const tokenizer = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8'));
  const hostile = (i) => (i % 2 ? `<img/src=x/onerror=window.__pwned=${i}>` : `<script>window.__pwned=${i}</script>`);
  const vocab = {};
  for (const [token, id] of Object.entries(tokenizer.model.vocab)) vocab[id < 2 ? token : hostile(id)] = id;
  tokenizer.model.vocab = vocab;
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  config['<b>name</b>'] = '<img src=x onerror=window.__pwned=1>';
  const files = modelFolder('hostile-vocab', { 'tokenizer.json': JSON.stringify(tokenizer), 'config.json': JSON.stringify(config) });
  await withBrowser(async ({ page }) => {
    await page.goto(server.url);
    await predictions(page);
    await page.setInputFiles('#model-files', files);
    await page.waitForFunction(() => /[#&]m=sha256-/.test(location.hash));
    await page.fill('#prompt', `${hostile(3)} ${hostile(4)}`);
    await page.click('#run-prompt');
    const rows = await predictions(page);
    assert.ok(rows.some((r) => /^<(img|script)/.test(r.token)), `the hostile tokens are not among the predictions: ${rows.map((r) => r.token)}`);
    const shown = await page.textContent('#predictions');
    assert.match(shown, /<script>window\.__pwned=\d+<\/script>|<img\/src=x\/onerror=window\.__pwned=\d+>/);
    assert.match(await page.textContent('#tokens'), /<img\/src=x\/onerror=window\.__pwned=3>/);
    await assertNothingRan(page);
    await page.screenshot({ path: join(resultsDir, 'faults-hostile-vocab.png'), fullPage: true });
  });
});

test('an engine worker that dies in the middle of a sweep is replaced, the user is told, and the sweep and state survive', async () => {
  await withBrowser(async ({ page }) => {
    await page.goto(`${server.url}#p=${encodeURIComponent('city cyril nash ?')}&x=m0`);
    const before = await predictions(page);
    const hash = await page.evaluate(() => location.hash);
    const outcome = await page.evaluate(async (key) => {
      const { pool } = window.strata;
      const { ids } = await pool.tokenize(key, 'city cyril nash ?');
      const request = { capture: [], interventions: [] };
      // Twelve runs in flight over every worker; the crash takes one worker in the middle.
      const runs = [];
      for (let i = 0; i < 6; i++) runs.push(pool.run(key, ids, request, 5));
      const crash = pool.crashOne().then(() => 'resolved', (e) => e.message);
      for (let i = 0; i < 6; i++) runs.push(pool.run(key, ids, request, 5));
      const settled = await Promise.allSettled(runs);
      return {
        crash: await crash,
        failed: settled.filter((s) => s.status === 'rejected').map((s) => s.reason.message),
        tops: settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.topK.map((t) => `${t.token}:${t.probability}`).join(' ')),
      };
    }, model.id);
    assert.match(outcome.crash, /^The engine stopped while running a deliberate crash \(.*\); it has been restarted\.$/);
    assert.deepEqual(outcome.failed, [], 'runs of the sweep failed');
    assert.equal(outcome.tops.length, 12);
    assert.equal(new Set(outcome.tops).size, 1, 'the runs of the sweep disagree');
    await page.waitForSelector('#notices .notice.error');
    assert.match(await notices(page), /The engine stopped while running a deliberate crash.*it has been restarted/);
    assert.equal(await page.evaluate(() => location.hash), hash);
    await page.click('#run-prompt');
    assert.deepEqual(await predictions(page), before, 'the prediction changed after the restart');
  });
});

test('the Content-Security-Policy allows only the site itself, wasm compilation and connections to the Hugging Face Hub, and is enforced', async () => {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const meta = html.match(/<meta http-equiv="Content-Security-Policy"\s+content="([^"]+)"/);
  assert.ok(meta, 'no CSP meta tag in the built index.html');
  const directives = Object.fromEntries(meta[1].split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
  // The Hub (models/hub.js, only on a click) and its download hosts: https, under hf.co or huggingface.co.
  const hub = (s) => /^https:\/\/([a-z0-9-]+\.)*(hf\.co|huggingface\.co)$/.test(s);
  for (const [name, sources] of Object.entries(directives)) {
    const allowed = name === 'img-src' ? ["'self'", 'data:', 'blob:'] : ["'self'", "'none'", "'wasm-unsafe-eval'"];
    for (const s of sources) assert.ok(allowed.includes(s) || (name === 'connect-src' && hub(s)), `${name} allows ${s}`);
  }
  assert.equal(directives['connect-src'][0], "'self'");
  assert.ok(directives['connect-src'].includes(HUB_ORIGIN), 'connect-src does not allow the Hub');
  assert.deepEqual(directives['default-src'], ["'self'"]);
  // No 'unsafe-eval' or 'unsafe-inline': eval and inline scripts are refused. (A test cannot
  // call eval as the page: code evaluated through DevTools is exempt from the policy.)
  assert.deepEqual(directives['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'the built page has an inline script');
  await withBrowser(async (b) => {
    await b.page.goto(server.url);
    await predictions(b.page);
    assertClean(b);
    const blocked = await b.page.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = 1';
      document.body.append(s);
      const img = new Image();
      img.src = 'https://example.invalid/x.png';
      await new Promise((r) => setTimeout(r, 300));
      return { violations, pwned: window.__pwned ?? null };
    });
    assert.equal(blocked.pwned, null, 'an inline script ran');
    assert.ok(blocked.violations.some((v) => v.startsWith('script-src')), `no script-src violation: ${blocked.violations}`);
    assert.ok(blocked.violations.some((v) => v.startsWith('img-src')), `no img-src violation: ${blocked.violations}`);
    // The deliberate violations above were reported; nothing else was.
    b.pageErrors.splice(0);
    b.foreign.splice(0);
  });
});

test('no source file of the page writes markup from a string (innerHTML and its kin)', () => {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(js|mjs|html)$/.test(e.name)) files.push(join(dir, e.name));
    }
  };
  walk(join(root, 'web', 'src'));
  files.push(join(root, 'web', 'index.html'));
  const sinks = /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\.html\(|createContextualFragment|new Function|\beval\(|setTimeout\(\s*['"`]|srcdoc/;
  const found = [];
  for (const f of files) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (sinks.test(line) && !/^\s*\/\//.test(line)) found.push(`${f.slice(root.length + 1)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.ok(files.length > 10, 'the page sources were not found');
  assert.deepEqual(found, []);
});
