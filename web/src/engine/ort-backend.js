// The ONNX Runtime Web backend: one worker (ort-worker.js), started the first
// time the page asks for it, so a page that never chooses it never downloads
// ONNX Runtime.
//
//   const ort = new OrtBackend();
//   await ort.load(key, onnxBytes, {nLayers, nHeads})   once per model
//   await ort.run(ids, sites, {nLayers, nHeads, hooks})  -> {logits: {shape, data}, attentions: {shape, data}}
//
// Ablations arrive as the engine's zeroed sites (state/interventions.js
// toEngine) and become the graph's head_mask and mlp_mask inputs, so both
// backends ablate exactly the same units.
export class OrtBackend {
  constructor() {
    this.worker = null;
    this.pending = new Map();
    this.nextId = 1;
    this.loadedKey = null;
    this.loading = null;
  }

  #start() {
    if (this.worker) return;
    this.worker = new Worker(new URL('./ort-worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => {
      const job = this.pending.get(data.id);
      if (!job) return;
      this.pending.delete(data.id);
      if (data.ok) job.resolve(data.result);
      else job.reject(new Error(`ONNX Runtime: ${data.error}`));
    };
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(`the ONNX Runtime worker stopped (${event.message || 'an error'}); it will be restarted on the next run`);
    };
  }

  #fail(message) {
    this.worker?.terminate();
    this.worker = null;
    this.loadedKey = null;
    this.loading = null;
    for (const job of this.pending.values()) job.reject(new Error(message));
    this.pending.clear();
  }

  #call(message, transfer = []) {
    this.#start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  // fetchOnnx: () => Promise<Uint8Array>, called only when the model is not loaded yet.
  async ensure(key, fetchOnnx, dims) {
    if (this.loadedKey === key) return;
    if (this.loading?.key !== key) {
      const promise = (async () => {
        const onnx = await fetchOnnx();
        await this.#call({ type: 'load', onnx, nLayers: dims.nLayers, nHeads: dims.nHeads }, [onnx.buffer]);
        this.loadedKey = key;
      })();
      this.loading = { key, promise };
      promise.catch(() => { if (this.loading?.promise === promise) this.loading = null; });
    }
    await this.loading.promise;
  }

  run(ids, sites, dims) {
    const { headMask, mlpMask } = masks(sites, dims);
    return this.#call({ type: 'run', ids: Int32Array.from(ids), headMask, mlpMask });
  }
}

// Zeroed sites as ONNX masks (1 keeps a head or MLP, 0 switches it off): a
// head's hook_z (one head, or every head without `head`) and an MLP's
// hook_mlp_out are what the graph's masks can express; anything else is refused.
export function masks(sites, { nLayers, nHeads, hooks }) {
  const headMask = new Float32Array(nLayers * nHeads).fill(1);
  const mlpMask = new Float32Array(nLayers).fill(1);
  for (const site of sites) {
    const where = hooks.locate(site.hook);
    if (site.op === 'zero' && where?.part === 'attn.hook_z' && !site.positions) {
      if (Number.isInteger(site.head)) headMask[where.layer * nHeads + site.head] = 0;
      else headMask.fill(0, where.layer * nHeads, (where.layer + 1) * nHeads);
    } else if (site.op === 'zero' && where?.part === 'hook_mlp_out' && !site.positions && !site.neurons) {
      mlpMask[where.layer] = 0;
    } else {
      throw new Error(`the ONNX model cannot ablate ${site.hook}${site.neurons ? ' neurons' : ''} (only heads at attn.hook_z and MLPs at hook_mlp_out, zeroed at every position)`);
    }
  }
  return { headMask, mlpMask };
}
