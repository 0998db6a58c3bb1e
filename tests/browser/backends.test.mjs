// The ONNX Runtime Web backend against the Strata engine on both shipped models:
// loaded only when chosen, served from the site's own origin, and agreeing with
// the engine — the parity readout's largest differences are small, and an
// ablation (head_mask / mlp_mask) changes the prediction exactly as the engine's
// zero ablation does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { openBrowser, predictions, requireSite, startServer } from './helpers.mjs';

const manifest = requireSite();
let server;
let browser;

// f32 engines that sum in different orders: logits within 1e-3, probabilities within 1e-4.
const LOGIT_TOLERANCE = 1e-3;
const ATTENTION_TOLERANCE = 1e-4;

before(async () => {
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function parity(page) {
  await page.waitForSelector('#parity-logits, #parity [role="alert"]', { timeout: 120_000 });
  const alert = await page.$('#parity [role="alert"]');
  assert.equal(alert, null, `ONNX Runtime failed: ${alert && await alert.textContent()}`);
  return {
    logits: Number(await page.getAttribute('#parity-logits', 'data-value')),
    attention: Number(await page.getAttribute('#parity-attention', 'data-value')),
  };
}

test('ONNX Runtime is not downloaded until it is chosen', async () => {
  const { page } = browser;
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}#m=${manifest.models[0].id}`);
  await predictions(page);
  assert.ok(!requests.some((u) => /ort|\.onnx$/.test(u)), `fetched before being chosen: ${requests.filter((u) => /ort|\.onnx$/.test(u)).join(', ')}`);
  await page.selectOption('#backend-select', 'ort');
  await page.waitForFunction(() => /[#&]b=ort/.test(location.hash));
  await parity(page);
  assert.ok(requests.some((u) => /ort-wasm-simd-threaded[^/]*\.wasm$/.test(u)), 'ONNX Runtime\'s wasm was not loaded from the site');
  assert.ok(requests.some((u) => /model\.onnx$/.test(u)), 'model.onnx was not loaded');
  assert.deepEqual(browser.foreign, []);
});

for (const model of manifest.models) {
  test(`${model.id}: the two backends agree, with and without an ablation`, async (t) => {
    const { page } = browser;
    const item = 'compare-heldout-000';
    await page.goto(`${server.url}#m=${model.id}&i=${item}&b=ort`);
    const clean = await parity(page);
    t.diagnostic(`max |Δ| logits ${clean.logits.toExponential(2)}, attention ${clean.attention.toExponential(2)}`);
    assert.ok(clean.logits < LOGIT_TOLERANCE, `logits differ by ${clean.logits}`);
    assert.ok(clean.attention < ATTENTION_TOLERANCE, `attention differs by ${clean.attention}`);
    const ablations = 'h1.0,m0,L2';
    await page.goto(`${server.url}#m=${model.id}&i=${item}&b=ort&x=${ablations}&v=ablation`);
    const viaOnnx = await predictions(page, '#ablation-results table.predictions');
    await page.goto(`${server.url}#m=${model.id}&i=${item}&x=${ablations}&v=ablation`);
    const viaEngine = await predictions(page, '#ablation-results table.predictions');
    assert.deepEqual(viaOnnx.map((r) => r.token).sort(), viaEngine.map((r) => r.token).sort(), 'the two backends list other tokens');
    const changed = viaEngine.some((r) => Math.abs(r.values[0] - r.values[1]) > 1e-3);
    assert.ok(changed, 'the ablation changed nothing, so it tests nothing');
    for (const r of viaEngine) {
      const o = viaOnnx.find((x) => x.token === r.token);
      for (const s of [0, 1]) assert.ok(Math.abs(o.values[s] - r.values[s]) < ATTENTION_TOLERANCE, `${r.token}: ${o.values[s]} vs ${r.values[s]}`);
    }
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(browser.pageErrors, []);
  });
}
