// The prediction-only engine module (strata-engine-core), which the page's
// first prediction runs on: the full engine's tokens, logits and captures, bit
// for bit (the same code, without the analyses), and nothing more.
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { test } from 'node:test';

import { loadEngineModule, parityDir, readModelFiles, root } from './helpers.mjs';

const [Core, Full] = await Promise.all([loadEngineModule('strata-engine-core'), loadEngineModule('strata-engine')]);

function withEngine(Module, body) {
  const engine = new Module.Engine();
  try {
    return body(engine);
  } finally {
    engine.delete();
  }
}

// What a run answers, as plain arrays: logits, the top tokens and every capture.
function predict(Module, files, text, request) {
  return withEngine(Module, (engine) => {
    const loaded = engine.load(files.config, files.weights, files.tokenizer);
    assert.ok(loaded.ok, loaded.error);
    const tokens = files.tokenizer ? engine.tokenize(text) : { ok: true, ids: Int32Array.from([3, 1, 4, 1, 5, 9]), tokens: [] };
    assert.ok(tokens.ok, tokens.error);
    const run = engine.run(tokens.ids, JSON.stringify(request), 5);
    assert.ok(run.ok, run.error);
    const captures = Object.fromEntries(Object.entries(run.captures).map(([name, t]) => [name, [t.shape, Array.from(t.data)]]));
    return { info: JSON.parse(loaded.info), ids: Array.from(tokens.ids), tokens: tokens.tokens, logits: Array.from(run.logits.data),
      top: run.topK, captures };
  });
}

// The shipped models (with their tokenizers), and BF16 and grouped-query checkpoints (token ids).
const MODELS = [join(root, 'models/tiny-gpt2-world2'), join(root, 'models/tiny-llama-world2'),
  join(parityDir, 'llama-gqa-bf16'), join(parityDir, 'qwen2-bf16')];

for (const dir of MODELS) {
  test(`${basename(dir)}: the prediction-only module answers as the full engine does, bit for bit`, () => {
    const files = readModelFiles(dir);
    const request = { capture: ['blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post'],
      interventions: [{ hook: 'blocks.0.hook_mlp_out', op: 'zero' }] };
    const core = predict(Core, files, 'Where does Ada live?', request);
    const full = predict(Full, files, 'Where does Ada live?', request);
    assert.ok(core.logits.length > 0 && Object.keys(core.captures).length === 2);
    assert.deepEqual(core, full);
  });
}

test('the prediction-only module has no analyses, reports or threads, and reports errors as values', () => {
  assert.equal(Core.maxThreads, 1);
  assert.equal(Core.version, Full.version);
  withEngine(Core, (engine) => {
    for (const method of ['analyze', 'listAnalyses', 'report', 'parseReport', 'loadSuite', 'buildSuite']) assert.equal(typeof engine[method], 'undefined', method);
    const run = engine.run(Int32Array.from([1, 2]), '{}', 3);
    assert.equal(run.ok, false);
    assert.match(run.error, /no model is loaded/);
    const bad = engine.load('{not json', new Uint8Array(4), null);
    assert.equal(bad.ok, false);
    assert.match(bad.error, /config/i);
  });
});
