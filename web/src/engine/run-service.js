// Runs of the model for the page: tokenizing a prompt, one forward pass (cached
// per model, tokens and request) and what the views need from it — top tokens,
// the last position's probabilities, attention patterns by layer and head. A run
// whose logits are not finite is an error naming that, never a silent "–".
const TOP_K = 10;
const MAX_CACHED_RUNS = 24;

export class RunService {
  constructor(pool) {
    this.pool = pool;
    this.cache = new Map();
  }

  async tokenize(model, text) {
    if (model.info.tokenizer) return this.pool.tokenize(model.key, text);
    const parts = text.trim().split(/[\s,]+/).filter(Boolean);
    if (!parts.every((p) => /^\d{1,9}$/.test(p))) throw new Error('this model has no tokenizer.json, so type the prompt as token ids separated by spaces');
    const ids = Int32Array.from(parts.map(Number));
    return { ids, tokens: Array.from(ids, String) };
  }

  // request: {capture, interventions, what} — `what` names the run in an error ("with the ablations h1.2").
  run(model, ids, { what, ...request }) {
    const key = `${model.key}|${Array.from(ids).join(',')}|${JSON.stringify(request)}`;
    if (!this.cache.has(key)) {
      const promise = this.pool.run(model.key, ids, request, TOP_K).then((r) => summarise(r, model, what));
      promise.catch(() => this.cache.delete(key));
      this.cache.set(key, promise);
      if (this.cache.size > MAX_CACHED_RUNS) this.cache.delete(this.cache.keys().next().value);
    }
    return this.cache.get(key);
  }

  forget(modelKey) {
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${modelKey}|`)) this.cache.delete(key);
  }

  // The answer's token id when it is one token of the model's vocabulary, else -1.
  async answerId(model, item) {
    if (!item?.answer || !model.info.tokenizer) return -1;
    try {
      const { ids } = await this.pool.tokenize(model.key, item.answer);
      return ids.length === 1 ? ids[0] : -1;
    } catch {
      return -1;
    }
  }
}

export class NonFiniteError extends Error {}

// Throws when a value of the last position's logits is NaN or infinite.
export function checkFinite(row, what) {
  for (let i = 0; i < row.length; i++) {
    if (!Number.isFinite(row[i])) {
      throw new NonFiniteError(`The model's output ${what ? `${what} ` : ''}is not a number (logit ${i} is ${row[i]}), so no prediction can be shown. `
        + 'The weights or an intervention produced a value out of range.');
    }
  }
}

// Engine result -> what the views need.
export function summarise(result, model, what = '') {
  const [T, V] = result.logits.shape;
  const last = result.logits.data.subarray((T - 1) * V, T * V);
  checkFinite(last, what);
  const probs = softmax(last);
  const { n_layers: nLayers, n_heads: nHeads } = model.info;
  const names = model.hooks.all('attn.hook_pattern');
  const patterns = names.length === nLayers && names.every((n) => result.captures[n]) ? {
    nLayers, nHeads, T,
    get: (l, h) => result.captures[names[l]].data.subarray(h * T * T, (h + 1) * T * T),
  } : null;
  const patternData = patterns ? concat(names.map((n) => result.captures[n].data)) : null;
  return { top: result.topK, probs, patterns, logits: result.logits.data, patternData };
}

// ONNX Runtime's outputs in the same shape: its attentions are [layer, head, pos, pos].
export function summariseOnnx(result, model, what = 'from ONNX Runtime') {
  const [, T, V] = result.logits.shape;
  const last = result.logits.data.subarray((T - 1) * V, T * V);
  checkFinite(last, what);
  const probs = softmax(last);
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]).slice(0, TOP_K);
  const top = order.map((id) => ({ id, token: model.vocab.get(id) ?? `#${id}`, probability: probs[id], logit: last[id] }));
  const [nLayers, nHeads] = result.attentions.shape;
  const data = result.attentions.data;
  const patterns = { nLayers, nHeads, T, get: (l, h) => data.subarray((l * nHeads + h) * T * T, (l * nHeads + h + 1) * T * T) };
  return { top, probs, patterns, logits: result.logits.data, patternData: data };
}

function softmax(row) {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  const probs = new Float64Array(row.length);
  let z = 0;
  for (let i = 0; i < row.length; i++) z += (probs[i] = Math.exp(row[i] - max));
  for (let i = 0; i < row.length; i++) probs[i] /= z;
  return probs;
}

function concat(arrays) {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

// The largest |a_i − b_i| (Infinity when the shapes differ or a value is not finite).
export function maxAbsDifference(a, b) {
  if (!a || !b || a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}
