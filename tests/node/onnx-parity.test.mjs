// The shipped ONNX exports, run with ONNX Runtime Web, agree with the C++
// engine (its wasm module) on logits and every attention pattern within 1e-4:
// unmasked, with one head masked (the engine zeroes that head's hook_z), and
// with one MLP masked (the engine zeroes that layer's hook_mlp_out). A whole
// layer is one unit everywhere: the sites an ablation sweep lists for it, the
// page's click on it and the page's ONNX masks give the same logits.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import * as ort from 'onnxruntime-web';

import { HookTable } from '../../web/src/engine/hooks.js';
import { masks } from '../../web/src/engine/ort-backend.js';
import { parseInterventions, toEngine } from '../../web/src/state/interventions.js';
import { loadEngineModule, maxAbsDiff, readModelFiles, root } from './helpers.mjs';

const modelsDir = join(root, 'models');
const shipped = readdirSync(modelsDir).filter((name) => existsSync(join(modelsDir, name, 'model.onnx')));
const Module = await loadEngineModule();
ort.env.wasm.numThreads = 1;

test('there are shipped models to check', () => assert.ok(shipped.length >= 2, `found ${shipped.join(', ')}`));

for (const name of shipped) {
  test(`${name}: ONNX Runtime Web agrees with the engine`, async () => {
    const dir = join(modelsDir, name);
    const files = readModelFiles(dir);
    const info = JSON.parse(files.config);
    const engine = new Module.Engine();
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
    try {
      const loaded = engine.load(files.config, files.weights, files.tokenizer);
      assert.ok(loaded.ok, loaded.error);
      const engineInfo = JSON.parse(loaded.info);
      const { n_layers: L, n_heads: H } = engineInfo;
      const suiteText = readFileSync(join(dir, 'suite.json'), 'utf8');
      const suite = JSON.parse(suiteText);
      assert.ok(engine.loadSuite(suiteText).ok);
      // The last layer as the ablation sweep's unit, and as a click on the page.
      const sweep = engine.analyze('ablation', JSON.stringify({ settings: { levels: ['layer'], items_per_kind: 1, method: 'zero' }, seed: 1 }), null);
      assert.ok(sweep.ok, sweep.error);
      const unit = JSON.parse(sweep.result).units.find((u) => u.layer === L - 1);
      const unitSites = unit.sites.map((site) => ({ ...site, op: 'zero' }));
      const click = toEngine(parseInterventions(`L${L - 1}`), engineInfo.ablation_units);
      assert.deepEqual(click, unitSites, 'a click on the whole layer ablates what the sweep\'s unit does');
      const layerMasks = masks(click, { nLayers: L, nHeads: H, hooks: new HookTable(engineInfo.hooks) });
      const prompts = ['recall', 'reasoning'].map((family) => suite.items.find((item) => item.family === family).prompt);
      const cases = [
        { label: 'no mask', headMask: [], mlpMask: [], interventions: [] },
        { label: `head ${L - 1}.1 masked`, headMask: [[L - 1, 1]], mlpMask: [],
          interventions: [{ hook: `blocks.${L - 1}.attn.hook_z`, op: 'zero', head: 1 }] },
        { label: 'MLP 0 masked', headMask: [], mlpMask: [0],
          interventions: [{ hook: 'blocks.0.hook_mlp_out', op: 'zero' }] },
        { label: `layer ${L - 1} (the sweep's unit; the page's masks)`, masks: layerMasks, interventions: unitSites },
      ];
      for (const prompt of prompts) {
        const tokenized = engine.tokenize(prompt);
        assert.ok(tokenized.ok, tokenized.error);
        const ids = Array.from(tokenized.ids);
        const n = ids.length;
        for (const c of cases) {
          let { headMask, mlpMask } = c.masks ?? {};
          if (!c.masks) {
            headMask = new Float32Array(L * H).fill(1);
            for (const [l, h] of c.headMask) headMask[l * H + h] = 0;
            mlpMask = new Float32Array(L).fill(1);
            for (const l of c.mlpMask) mlpMask[l] = 0;
          }
          const out = await session.run({
            input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
            head_mask: new ort.Tensor('float32', headMask, [L, H]),
            mlp_mask: new ort.Tensor('float32', mlpMask, [L]),
          });
          const patterns = [...Array(L).keys()].map((l) => `blocks.${l}.attn.hook_pattern`);
          const result = engine.run(Int32Array.from(ids), JSON.stringify({ capture: patterns, interventions: c.interventions }), 1);
          assert.ok(result.ok, result.error);

          const logitDiff = maxAbsDiff(out.logits.data, result.logits.data);
          let patternDiff = 0;
          for (let l = 0; l < L; l++) {
            const ortPattern = out.attentions.data.subarray(l * H * n * n, (l + 1) * H * n * n);
            patternDiff = Math.max(patternDiff, maxAbsDiff(ortPattern, result.captures[patterns[l]].data));
          }
          console.log(`${name} [${info.model_type}] "${prompt}" ${c.label}: max |logit diff| ${logitDiff.toExponential(2)}, ` +
            `max |pattern diff| ${patternDiff.toExponential(2)}`);
          assert.ok(logitDiff <= 1e-4, `${c.label}: logits differ by ${logitDiff}`);
          assert.ok(patternDiff <= 1e-4, `${c.label}: attention patterns differ by ${patternDiff}`);
        }
      }
    } finally {
      engine.delete();
      await session.release();
    }
  });
}
