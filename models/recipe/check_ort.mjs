// Loads a model.onnx with ONNX Runtime Web (wasm backend, in node) and compares
// its outputs with a reference written by the PyTorch recipe.
//   node models/recipe/check_ort.mjs MODEL_DIR REFERENCE.json
// The reference holds {input_ids, head_mask, mlp_mask, logits_last, hidden_last}.
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';

const [dir, refPath] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(readFileSync(`${dir}/model.onnx`));
const seq = ref.input_ids.length;
const L = ref.head_mask.length, H = ref.head_mask[0].length;
const feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from(ref.input_ids.map(BigInt)), [1, seq]),
  head_mask: new ort.Tensor('float32', Float32Array.from(ref.head_mask.flat()), [L, H]),
  mlp_mask: new ort.Tensor('float32', Float32Array.from(ref.mlp_mask), [L]),
};
const out = await session.run(feeds);
const V = out.logits.dims[2];
const last = out.logits.data.slice((seq - 1) * V, seq * V);
let maxDiff = 0;
for (let i = 0; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(last[i] - ref.logits_last[i]));
const dims = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.dims]));
console.log(JSON.stringify({ dims, max_abs_diff_last_logits: maxDiff }));
if (!(maxDiff < 1e-3)) process.exit(1);
