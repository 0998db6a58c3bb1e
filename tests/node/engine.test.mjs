// The wasm engine module loaded as the page loads it: same logits as the
// native command line, captures as typed arrays, errors as values.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadEngineModule, maxAbsDiff, parityDir, readModelFiles, strata } from './helpers.mjs';

const Module = await loadEngineModule();

for (const name of ['gpt2-f32', 'gpt2-bare-f32', 'llama-gqa-f32', 'llama-gqa-bf16', 'qwen2-f32', 'qwen2-bf16']) {
  test(`${name}: the wasm engine gives the native command line's logits`, () => {
    const dir = join(parityDir, name);
    const files = readModelFiles(dir);
    const engine = new Module.Engine();
    try {
      const loaded = engine.load(files.config, files.weights, files.tokenizer);
      assert.ok(loaded.ok, loaded.error);
      const ids = [3, 1, 4, 1, 5, 9, 2, 6];
      const result = engine.run(Int32Array.from(ids), JSON.stringify({ capture: ['blocks.0.attn.hook_pattern'] }), 3);
      assert.ok(result.ok, result.error);
      const native = strata('run', '--model', dir, '--token-ids', ids.join(','), '--json', '--logits', '--top-k', '3');
      assert.equal(native.status, 0, native.stderr);
      const last = result.logits.data.slice((ids.length - 1) * result.logits.shape[1]);
      const diff = maxAbsDiff(last, native.json.logits);
      console.log(`${name}: wasm vs native max |logit diff| = ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-4, `max diff ${diff}`);
      assert.deepEqual(result.topK.map((t) => t.id), native.json.top_k.map((t) => t.id));
      const pattern = result.captures['blocks.0.attn.hook_pattern'];
      assert.ok(pattern.data instanceof Float32Array);
      assert.deepEqual(pattern.shape.slice(1), [ids.length, ids.length]);
    } finally {
      engine.delete();
    }
  });
}

test('errors come back as values and the engine stays usable', () => {
  const engine = new Module.Engine();
  try {
    const notLoaded = engine.run(Int32Array.from([1]), '{}', 1);
    assert.equal(notLoaded.ok, false);
    assert.match(notLoaded.error, /no model is loaded/);

    const files = readModelFiles(join(parityDir, 'gpt2-f32'));
    const truncated = engine.load(files.config, files.weights.slice(0, files.weights.length - 3), null);
    assert.equal(truncated.ok, false);
    assert.match(truncated.error, /model.safetensors/);

    const badConfig = engine.load('{"model_type": "gpt2", "n_layer": "two"}', files.weights, null);
    assert.equal(badConfig.ok, false);
    assert.match(badConfig.error, /config.json/);

    assert.ok(engine.load(files.config, files.weights, null).ok);
    const badRequest = engine.run(Int32Array.from([1, 2]), '{"capture": ["blocks.0.hook_nothing"]}', 1);
    assert.equal(badRequest.ok, false);
    assert.match(badRequest.error, /"blocks.0.hook_nothing" is not a hook/);
    const badJson = engine.run(Int32Array.from([1, 2]), '{"capture": [', 1);
    assert.equal(badJson.ok, false);
    const badToken = engine.run(Int32Array.from([1, 1e6]), '{}', 1);
    assert.equal(badToken.ok, false);
    assert.match(badToken.error, /token 1/);
    assert.ok(engine.run(Int32Array.from([1, 2]), '{}', 1).ok, 'still usable after errors');
  } finally {
    engine.delete();
  }
});
