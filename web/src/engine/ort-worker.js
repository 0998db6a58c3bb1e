// The ONNX Runtime Web backend's Web Worker: runs a shipped model.onnx (inputs
// input_ids [1, pos] int64, head_mask [n_layers, n_heads], mlp_mask [n_layers];
// outputs logits [1, pos, d_vocab], attentions [n_layers, n_heads, pos, pos]).
// A mask entry of 0 switches a head's output (hook_z) or an MLP's output off,
// exactly as the wasm engine's zero ablation does.
//
// Loaded only when the page asks for the ONNX backend. ONNX Runtime's own wasm
// file is bundled by Vite beside this worker (the `new URL(…, import.meta.url)` in
// ort.wasm.bundle.min.mjs), so nothing is fetched from another origin.
//
// Protocol: {id, type: 'load', onnx: Uint8Array, nLayers, nHeads} -> {id, ok, result: {inputs, outputs}};
// {id, type: 'run', ids: Int32Array, headMask: Float32Array, mlpMask: Float32Array}
//   -> {id, ok, result: {logits: {shape, data}, attentions: {shape, data}}}.
let ort = null;
let session = null;
let shape = null;

async function runtime() {
  if (!ort) {
    ort = await import('onnxruntime-web/wasm');
    ort.env.wasm.numThreads = 1;  // the second backend checks numbers, not speed: it leaves the cores to the engine
    ort.env.logLevel = 'error';
  }
  return ort;
}

const handlers = {
  async load({ onnx, nLayers, nHeads }) {
    const rt = await runtime();
    session = null;
    session = await rt.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    for (const name of ['input_ids', 'head_mask', 'mlp_mask']) {
      if (!session.inputNames.includes(name)) throw new Error(`model.onnx has no input "${name}" (it has ${session.inputNames.join(', ')})`);
    }
    for (const name of ['logits', 'attentions']) {
      if (!session.outputNames.includes(name)) throw new Error(`model.onnx has no output "${name}" (it has ${session.outputNames.join(', ')})`);
    }
    shape = { nLayers, nHeads };
    return { inputs: session.inputNames, outputs: session.outputNames };
  },
  async run({ ids, headMask, mlpMask }) {
    if (!session) throw new Error('no ONNX model is loaded');
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, ids.length]),
      head_mask: new ort.Tensor('float32', Float32Array.from(headMask), [shape.nLayers, shape.nHeads]),
      mlp_mask: new ort.Tensor('float32', Float32Array.from(mlpMask), [shape.nLayers]),
    };
    const out = await session.run(feeds, ['logits', 'attentions']);
    const copy = (t) => ({ shape: Array.from(t.dims), data: Float32Array.from(t.data) });
    return { logits: copy(out.logits), attentions: copy(out.attentions) };
  },
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    const result = await handlers[type](data);
    const transfer = result.logits ? [result.logits.data.buffer, result.attentions.data.buffer] : [];
    postMessage({ id, ok: true, result }, transfer);
  } catch (error) {
    postMessage({ id, ok: false, error: String(error?.message ?? error) });
  }
};
