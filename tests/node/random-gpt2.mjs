// A random GPT-2 folder (config.json, model.safetensors, tokenizer.json) with
// GPT-2's whole vocabulary, for the natural-language suites: the node test runs
// the analyses on it, the page's test builds a suite for it in the browser.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A random GPT-2 (one layer, width 16) over GPT-2's 50257 tokens, written as
// safetensors: enough for the analyses to run on the suite as it is.
export function writeRandomGpt2(dir, tokenizerPath) {
  const d = 16, v = 50257, n = 64;
  const shapes = {
    'wte.weight': [v, d], 'wpe.weight': [n, d], 'h.0.ln_1.weight': [d], 'h.0.ln_1.bias': [d],
    'h.0.attn.c_attn.weight': [d, 3 * d], 'h.0.attn.c_attn.bias': [3 * d], 'h.0.attn.c_proj.weight': [d, d],
    'h.0.attn.c_proj.bias': [d], 'h.0.ln_2.weight': [d], 'h.0.ln_2.bias': [d], 'h.0.mlp.c_fc.weight': [d, 4 * d],
    'h.0.mlp.c_fc.bias': [4 * d], 'h.0.mlp.c_proj.weight': [4 * d, d], 'h.0.mlp.c_proj.bias': [d],
    'ln_f.weight': [d], 'ln_f.bias': [d],
  };
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
    model_type: 'gpt2', n_layer: 1, n_embd: d, n_head: 2, n_positions: n, n_ctx: n, vocab_size: v,
    activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
  }));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(tokenizerPath));
}
