// Opening model files in the page: a dropped Hugging Face folder loads under the
// SHA-256 of its weights; broken files give a message naming the problem and the
// page keeps working; a crashed engine worker is replaced. A GPT-2 dropped
// without a suite gets the natural-language suite `strata suite` builds for its
// tokenizer, and the engine workers analyse with it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { strata } from '../node/helpers.mjs';
import { makeGpt2Tokenizer } from '../node/make-gpt2-tokenizer.mjs';
import { writeRandomGpt2 } from '../node/random-gpt2.mjs';
import { assertClean, dist, openBrowser, predictions, requireSite, resultsDir, startServer } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[0];
const modelDir = join(dist, 'models', model.path);
let server;
let browser;
let scratch;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-files-'));
  server = await startServer();
  browser = await openBrowser(server.url);
  await browser.page.goto(server.url);
  await predictions(browser.page);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function errorText(page) {
  await page.waitForSelector('#model-error');
  return page.textContent('#model-error');
}

// The page still predicts: type a new prompt and wait for the table to follow it.
async function stillWorks(page) {
  const prompt = await page.inputValue('#prompt');
  const shorter = prompt.split(' ').slice(0, -1).join(' ');
  await page.fill('#prompt', shorter);
  await page.click('#run-prompt');
  await page.waitForFunction((p) => document.querySelector('#summary .prompt-chip')?.textContent.includes(p), shorter);
  const rows = await predictions(page);
  assert.ok(rows.length > 0, 'no predictions after the error');
}

test('a GPT-2 dropped without a suite gets the one strata suite builds for its tokenizer', async () => {
  const { page } = browser;
  const tokenizer = join(scratch, 'gpt2-tokenizer.json');
  writeFileSync(tokenizer, JSON.stringify(makeGpt2Tokenizer()));
  const dir = join(scratch, 'random-gpt2');
  writeRandomGpt2(dir, tokenizer);
  await page.setInputFiles('#model-files', ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => join(dir, f)));
  const notice = await page.waitForSelector('text=/one was built from the natural-language bank/', { timeout: 120_000 });
  const m = /: (\d+) recall and (\d+) reasoning items of (\d+) tokens \(/.exec(await notice.textContent());
  assert.ok(m, await notice.textContent());
  const expected = join(scratch, 'nl-suite.json');
  const cli = strata('suite', '--model', dir, '--out', expected);
  assert.equal(cli.status, 0, cli.stderr);
  const built = JSON.parse(readFileSync(expected, 'utf8'));
  const items = built.items;
  assert.equal(+m[1], items.filter((i) => i.family === 'recall').length);
  assert.equal(+m[2], items.filter((i) => i.family === 'reasoning').length);
  const inPage = await page.evaluate(() => window.strata.data.model.suite.items.map((i) => [i.id, i.prompt, i.answer, i.answeredWrong]));
  const wrong = new Set(built.answered_wrong.items);
  assert.deepEqual(inPage, items.map((i) => [i.id, i.prompt, i.answer, wrong.has(i.id)]), 'the page built or marked another suite than strata suite --model');
  // Random weights answer nothing right: the notice says so, the menu marks every item,
  // and the workers' analyses over the suite refuse in one line.
  assert.equal(wrong.size, items.length);
  assert.match(await notice.textContent(), new RegExp(`the model answers 0 of the ${m[1]} recall and 0 of the ${m[2]} reasoning items right`));
  assert.match(await page.textContent('#item-select'), /✗ .* \(answered wrong\)/);
  const refused = await page.evaluate(() => window.strata.pool.analyze(window.strata.data.model.key, 'ablation',
    { settings: { items_per_kind: 2, levels: ['layer'] }, seed: 1 }).then(() => 'ran', (e) => e.message));
  assert.match(refused, /ablation: the model answers no item of any kind right \(the suite marks them answered_wrong\)/);
  // Asked to, the analyses keep them: the link says so and the sweep runs over every item.
  await page.check('#keep-answered-wrong');
  await page.waitForFunction(() => /[#&]aw=all(&|$)/.test(location.hash));
  await page.evaluate(() => { location.hash = `${location.hash.replace(/&v=[^&]*/, '')}&v=ablation`; });
  const swept = await page.waitForFunction(() => {
    const entry = window.strata.data.analyses?.ablation;
    return entry?.status === 'done' ? { answered: entry.result.settings.answered, kinds: entry.result.items.kinds } : entry?.status === 'error' ? { error: entry.error } : null;
  }, null, { timeout: 120_000 }).then((h) => h.jsonValue());
  assert.equal(swept.error, undefined, swept.error);
  assert.equal(swept.answered, 'all');
  assert.equal(swept.kinds.length, new Set(items.map((i) => i.kind)).size);
  assert.ok(swept.kinds.every((k) => k.n > 0 && k.answered_wrong === undefined));
  await page.evaluate(() => { location.hash = location.hash.replace(/&v=[^&]*/, '').replace(/&aw=all/, ''); });
  assertClean(browser);
});

test('a dropped Hugging Face folder opens under the SHA-256 of its weights', async () => {
  const { page } = browser;
  const files = ['config.json', 'model.safetensors', 'tokenizer.json', 'suite.json'].map((f) => join(modelDir, f));
  await page.setInputFiles('#model-files', files);
  await page.waitForFunction(() => /[#&]m=sha256-[0-9a-f]{64}/.test(location.hash));
  const rows = await predictions(page);
  assert.ok(rows.length > 0);
  assert.match(await page.textContent('#model-name'), /Your model/);
  assert.match(await page.inputValue('#model-select'), /^sha256-[0-9a-f]{64}$/);
  const precision = await page.evaluate(() => [...document.querySelectorAll('dt')]
    .find((dt) => dt.textContent === 'weights kept in')?.nextElementSibling?.textContent);
  assert.equal(precision, 'F32');
  await page.screenshot({ path: join(resultsDir, 'dropped-model.png'), fullPage: true });
  assertClean(browser);
});

test('a model folder dropped on the drop zone opens, for every shipped model', async () => {
  const { page } = browser;
  for (const m of manifest.models) {
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'suite.json'];
    await page.evaluate(async ({ path, names }) => {
      const transfer = new DataTransfer();
      for (const name of names) {
        const bytes = await (await fetch(`models/${path}${name}`)).arrayBuffer();
        transfer.items.add(new File([bytes], name));
      }
      document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, { path: m.path, names });
    const sha = m.files['model.safetensors'].sha256;
    await page.waitForFunction((h) => location.hash.includes(`m=sha256-${h}`), sha);
    assert.ok((await predictions(page)).length > 0);
    assert.match(await page.textContent('#model-name'), new RegExp(`Your model \\(${m.model_type}`));
  }
  assertClean(browser);
});

test('a truncated model.safetensors is refused with a message naming it, and the page keeps working', async () => {
  const { page } = browser;
  const dir = join(scratch, 'truncated');
  mkdirSync(dir);
  copyFileSync(join(modelDir, 'config.json'), join(dir, 'config.json'));
  const weights = readFileSync(join(modelDir, 'model.safetensors'));
  writeFileSync(join(dir, 'model.safetensors'), weights.subarray(0, weights.length - 3));
  await page.setInputFiles('#model-files', [join(dir, 'config.json'), join(dir, 'model.safetensors')]);
  const message = await errorText(page);
  assert.match(message, /Could not open the dropped model: .*model\.safetensors/);
  await page.screenshot({ path: join(resultsDir, 'broken-file.png'), fullPage: true });
  await stillWorks(page);
  assertClean(browser);
});

test('a malformed config.json and a folder without weights get their own messages', async () => {
  const { page } = browser;
  const dir = join(scratch, 'bad-config');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), '{"model_type": "gpt2", "n_layer": "two"}');
  copyFileSync(join(modelDir, 'model.safetensors'), join(dir, 'model.safetensors'));
  await page.setInputFiles('#model-files', [join(dir, 'config.json'), join(dir, 'model.safetensors')]);
  await page.waitForFunction(() => /config\.json/.test(document.querySelector('#model-error')?.textContent ?? ''));
  await page.setInputFiles('#model-files', [join(dir, 'config.json')]);
  await page.waitForFunction(() => /no model\.safetensors/.test(document.querySelector('#model-error')?.textContent ?? ''));
  await stillWorks(page);
  assertClean(browser);
});

test('a crashed engine worker is replaced, its request fails with a message, and the page keeps working', async () => {
  const { page } = browser;
  const message = await page.evaluate(() => window.strata.pool.crashOne().then(() => 'resolved', (e) => e.message));
  assert.match(message, /The engine stopped while running a deliberate crash .*restarted/);
  await page.waitForSelector('#notices .notice.error');
  await stillWorks(page);
  assertClean(browser);
});
