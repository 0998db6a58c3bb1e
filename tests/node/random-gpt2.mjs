// A random GPT-2 folder (config.json, model.safetensors, tokenizer.json) with
// GPT-2's whole vocabulary, for the natural-language suites: the node test runs
// the analyses on it, the page's test builds a suite for it in the browser.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A random GPT-2 over GPT-2's 50257 tokens, written as safetensors. By default one
// layer of width 16: enough for the analyses to run on the suite as it is. `shape`
// gives another size with the real tensor names (GPT-2 small: layers 12, width 768,
// heads 12, context 1024); weights are uniform in ±0.1 from a fixed seed.
export function writeRandomGpt2(dir, tokenizerPath, shape = {}) {
  const { layers = 1, width: d = 16, heads = 2, context: n = 64 } = shape;
  const v = 50257;
  const shapes = { 'wte.weight': [v, d], 'wpe.weight': [n, d] };
  for (let l = 0; l < layers; l++) {
    Object.assign(shapes, {
      [`h.${l}.ln_1.weight`]: [d], [`h.${l}.ln_1.bias`]: [d], [`h.${l}.attn.c_attn.weight`]: [d, 3 * d], [`h.${l}.attn.c_attn.bias`]: [3 * d],
      [`h.${l}.attn.c_proj.weight`]: [d, d], [`h.${l}.attn.c_proj.bias`]: [d], [`h.${l}.ln_2.weight`]: [d], [`h.${l}.ln_2.bias`]: [d],
      [`h.${l}.mlp.c_fc.weight`]: [d, 4 * d], [`h.${l}.mlp.c_fc.bias`]: [4 * d], [`h.${l}.mlp.c_proj.weight`]: [4 * d, d], [`h.${l}.mlp.c_proj.bias`]: [d],
    });
  }
  Object.assign(shapes, { 'ln_f.weight': [d], 'ln_f.bias': [d] });
  let seed = 7;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  const header = {};
  const chunks = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNormWeight = name.endsWith('.weight') && /ln_/.test(name);
    for (let i = 0; i < data.length; i++) data[i] = isNormWeight ? 1 : 0.2 * next();
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
    chunks.push(Buffer.from(data.buffer));
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([length, Buffer.from(json), ...chunks]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    model_type: 'gpt2', n_layer: layers, n_embd: d, n_head: heads, n_positions: n, n_ctx: n, vocab_size: v,
    activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
  }));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(tokenizerPath));
}
