// State that belongs to one model never leaks to another: switching model clears
// the ablations, the selected layer/head and the suite item, with a notice saying
// what was cleared; a model load superseded by a later choice is cancelled and the
// latest choice wins; notices about a state that went away are withdrawn; a model
// whose output is not a number gets a message, never a silent "–". A running
// analysis can be cancelled: it says so, the page goes on, and it runs again
// when asked.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertClean, dist, openBrowser, predictions, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';

const manifest = requireSite();
const [first, second] = manifest.models;
let server;
let browser;
let scratch;

before(async () => {
  assert.ok(second, 'these tests need two shipped models');
  mkdirSync(resultsDir, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'strata-model-state-'));
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const noticeTexts = (page) => page.$$eval('#notices .notice', (n) => n.map((x) => x.textContent));

// A GPT-2 model of zeros, d_model × layers large, as a Hugging Face folder.
function writeLargeGpt2(dir, dModel, layers) {
  mkdirSync(dir, { recursive: true });
  const vocab = 144;
  const ctx = 32;
  const tensors = [['transformer.wte.weight', [vocab, dModel]], ['transformer.wpe.weight', [ctx, dModel]]];
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}.`;
    tensors.push([`${p}ln_1.weight`, [dModel]], [`${p}ln_1.bias`, [dModel]], [`${p}attn.c_attn.weight`, [dModel, 3 * dModel]], [`${p}attn.c_attn.bias`, [3 * dModel]],
      [`${p}attn.c_proj.weight`, [dModel, dModel]], [`${p}attn.c_proj.bias`, [dModel]], [`${p}ln_2.weight`, [dModel]], [`${p}ln_2.bias`, [dModel]],
      [`${p}mlp.c_fc.weight`, [dModel, 4 * dModel]], [`${p}mlp.c_fc.bias`, [4 * dModel]], [`${p}mlp.c_proj.weight`, [4 * dModel, dModel]], [`${p}mlp.c_proj.bias`, [dModel]]);
  }
  tensors.push(['transformer.ln_f.weight', [dModel]], ['transformer.ln_f.bias', [dModel]]);
  const header = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  writeSync(fd, length);
  writeSync(fd, Buffer.from(text));
  const zeros = Buffer.alloc(16 * 2 ** 20);
  for (let left = offset; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
  closeSync(fd);
  const config = JSON.parse(readFileSync(join(dist, 'models', first.path, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2', n_embd: dModel, n_layer: layers, n_head: 4, n_inner: 4 * dModel, vocab_size: vocab, n_positions: ctx, n_ctx: ctx }));
  return offset;
}

test('switching model clears the ablations, layer, head and item of the previous one, with a notice', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${first.id}&l=1&h=2&x=h1.2,m0`);
  await predictions(page);
  assert.match(await page.evaluate(() => location.hash), /x=h1\.2,m0/);
  await page.selectOption('#model-select', second.id);
  await page.waitForFunction((id) => location.hash.includes(`m=${id}`) && window.strata.data.model?.id === id, second.id);
  await predictions(page);
  const hash = await page.evaluate(() => location.hash);
  assert.doesNotMatch(hash, /[#&](x|l|h)=/, `per-model fields survived the switch: ${hash}`);
  assert.deepEqual(await page.evaluate(() => window.strata.state.interventions), []);
  const notice = (await noticeTexts(page)).find((t) => t.includes('cleared'));
  assert.ok(notice, 'no notice says what the switch cleared');
  assert.match(notice, new RegExp(`from ${first.id} to ${second.id}`));
  assert.match(notice, /head 2 of layer 1, the MLP of layer 0/);
  assert.match(notice, /layer 1 and head 2/);
  assert.equal(await page.$('#summary-prediction b').then((b) => b.textContent()), 'Prediction ', 'the prediction is still labelled as ablated');
  // A render (one per analysis step) keeps the notice's "×": a click across it is not lost.
  const dismiss = await page.$('#notices .notice[data-about="switch"] button.dismiss');
  await page.evaluate(() => window.strata.render());
  assert.ok(await dismiss.evaluate((button) => button.isConnected), 'a render replaced the notice\'s dismiss button');
  await dismiss.click();
  assert.ok(!(await noticeTexts(page)).some((t) => t.includes('cleared')), 'the dismissed notice is still shown');
  assertClean(browser);
});

test('a model chosen while a large dropped model loads wins, and the dropped load is cancelled', async (t) => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${first.id}`);
  await predictions(page);
  const dir = join(scratch, 'large');
  const bytes = writeLargeGpt2(dir, 768, 6);
  t.diagnostic(`dropped model.safetensors: ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  await page.setInputFiles('#model-files', [join(dir, 'config.json'), join(dir, 'model.safetensors')]);
  await page.waitForFunction(() => /Reading the files|Checking and loading/.test(document.getElementById('model-info')?.textContent ?? ''));
  await page.selectOption('#model-select', second.id);
  // Either the dropped load is cancelled (and says so) or it takes over the page.
  const outcome = await page.waitForFunction(() => {
    if (/[#&]m=sha256-/.test(location.hash)) return 'the dropped model took over';
    const cancelled = [...document.querySelectorAll('#notices .notice')].some((n) => /dropped model was not opened/.test(n.textContent));
    return cancelled ? 'cancelled' : null;
  }, null, { timeout: 120_000, polling: 100 });
  assert.equal(await outcome.jsonValue(), 'cancelled');
  await predictions(page);
  await page.waitForTimeout(2000);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`m=${second.id}`));
  assert.equal(await page.textContent('#model-name'), second.id);
  assert.equal(await page.evaluate(() => window.strata.registry.pending.size), 0, 'a load is still running');
  assertClean(browser);
});

test('a notice about a model that is no longer wanted goes away, and the summary never shows null', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=sha256-${'ab'.repeat(32)}`);
  await page.waitForFunction(() => [...document.querySelectorAll('#notices .notice')].some((n) => /opened from files/.test(n.textContent)));
  await page.selectOption('#model-select', first.id);
  await predictions(page);
  assert.ok(!(await noticeTexts(page)).some((t) => /opened from files/.test(t)), 'the stale notice about the dropped-model link stayed');
  await page.fill('#prompt', '');
  await page.click('#run-prompt');
  await page.waitForFunction(() => /Type a prompt/.test(document.querySelector('#predictions')?.textContent ?? ''));
  const summary = await page.textContent('#summary');
  assert.doesNotMatch(summary, /\bnull\b|undefined|NaN/, `the summary bar reads: ${summary}`);
  assertClean(browser);
});

test('a running analysis can be cancelled, the page goes on, and it runs again when asked', async () => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${first.id}&v=ablation`);
  // The suite-wide sweep, once its workers have started on it.
  await page.waitForFunction(() => (window.strata.data.analyses?.ablation?.progress ?? 0) > 0, null, { timeout: 120_000 });
  // Pressed, as a pointer does: the bar redraws with every progress report.
  await page.locator('button[data-cancel="ablation"]').first().dispatchEvent('pointerdown', { button: 0 });
  await page.waitForSelector('button[data-retry="ablation"]');
  assert.match(await page.textContent('#view'), /cancelled/);
  assert.equal(await page.evaluate(() => window.strata.data.analyses.ablation.status), 'cancelled');
  assert.ok(!(await noticeTexts(page)).some((t) => /stopped|restarted/.test(t)), 'a cancel was reported as a crash');
  // The page still runs the model (a head switched off, on the fresh workers),
  // and the sweep does not start again by itself.
  await page.click('button.component[data-ablation]');
  await page.waitForFunction(() => window.strata.data.ablated?.logits && /[#&]x=/.test(location.hash), null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.strata.data.analyses.ablation.status), 'cancelled');
  // The keyboard: focus and Enter.
  await page.focus('button[data-retry="ablation"]');
  await page.keyboard.press('Enter');
  await waitForCharts(page, 'ablation');
  assertClean(browser);
});

test('a model whose output is not a number gets a message naming that, not a silent "–"', async () => {
  const { page } = browser;
  await page.goto('about:blank');
  await page.goto(`${server.url}#m=${first.id}`);
  await predictions(page);
  const dir = join(scratch, 'nan');
  mkdirSync(dir);
  const src = join(dist, 'models', first.path);
  const weights = Buffer.from(readFileSync(join(src, 'model.safetensors')));
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString());
  const [name] = Object.keys(header).filter((k) => /wte|embed_tokens/.test(k));
  weights.writeFloatLE(Number.NaN, 8 + headerLength + header[name].data_offsets[0] + 4 * 5);
  writeFileSync(join(dir, 'model.safetensors'), weights);
  for (const f of ['config.json', 'tokenizer.json', 'suite.json']) writeFileSync(join(dir, f), readFileSync(join(src, f)));
  await page.setInputFiles('#model-files', ['config.json', 'model.safetensors', 'tokenizer.json', 'suite.json'].map((f) => join(dir, f)));
  // The engine may refuse the weights when loading, or the page refuses the run's output.
  const message = await page.waitForFunction(() => {
    const texts = [...document.querySelectorAll('#notices .notice.error, #model-error, main [role="alert"]')].map((n) => n.textContent);
    return texts.find((x) => /not a number|non-finite|not finite|NaN/i.test(x)) ?? null;
  }, null, { timeout: 60_000 });
  assert.ok(await message.jsonValue());
  assert.doesNotMatch(await page.textContent('#summary'), /–/, 'the summary shows a dash for a prediction');
  await page.screenshot({ path: join(resultsDir, 'non-finite-model.png'), fullPage: true });
  assertClean(browser);
});
