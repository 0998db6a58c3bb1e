// The models the page knows: the shipped ones (from the manifest, each fetched
// and loaded once however many refreshes ask for it) and the ones opened from
// dropped files (under the SHA-256 of their weights). Loads can be superseded:
// the caller passes isCurrent(), checked after every wait, and a load that is no
// longer wanted is cancelled in the engine pool, so the latest choice always wins.
import { HookTable } from '../engine/hooks.js';
import { buildNlSuite } from './nl-suite.js';
import { fetchManifest, fetchShippedModel, fetchTimeline, readDroppedFiles } from './sources.js';
import { vocabulary } from './vocab.js';

export class SupersededError extends Error {}

export class ModelRegistry {
  constructor(pool, base) {
    this.pool = pool;
    this.base = base;
    this.manifest = [];
    this.models = new Map();
    this.pending = new Map();
    this.timelines = new Map();
    this.dropCount = 0;
  }

  // The name a loaded model is kept under: its id, and the training step of a checkpoint.
  static ref(id, checkpoint = null) {
    return checkpoint === null ? id : `${id}@${checkpoint}`;
  }

  async loadManifest() {
    this.manifest = await fetchManifest(this.base);
    return this.manifest;
  }

  entry(id) {
    return this.manifest.find((m) => m.id === id) ?? null;
  }

  get(id, checkpoint = null) {
    return this.models.get(ModelRegistry.ref(id, checkpoint)) ?? null;
  }

  // A shipped model's training timeline (sources.js), fetched once; null when it has none.
  timeline(entry) {
    if (typeof entry?.timeline !== 'string') return Promise.resolve(null);
    if (!this.timelines.has(entry.id)) {
      const promise = fetchTimeline(this.base, entry);
      promise.catch(() => this.timelines.delete(entry.id));  // a failed fetch is tried again next time
      this.timelines.set(entry.id, promise);
    }
    return this.timelines.get(entry.id);
  }

  // Stops every load in progress except the one for `keep` (a model id or null).
  cancelPendingExcept(keep) {
    for (const [key, pending] of [...this.pending]) {
      if (pending.id === keep) continue;
      this.pending.delete(key);
      pending.cancelled = true;
      this.pool.cancelModel(key, 'another model was chosen while this one loaded');
    }
  }

  // The shipped model, or its training checkpoint at step `checkpoint` (kept
  // apart, under its own key: its weights differ, its tokenizer and suite do not).
  loadShipped(entry, checkpoint = null) {
    const key = ModelRegistry.ref(entry.id, checkpoint);
    if (!this.pending.has(key)) {
      const pending = { id: key, cancelled: false };
      pending.promise = (async () => {
        const point = checkpoint === null ? null : await this.#checkpoint(entry, checkpoint);
        if (pending.cancelled) throw new SupersededError(`${key}: superseded`);
        const files = await fetchShippedModel(this.base, entry, point);
        if (pending.cancelled) throw new SupersededError(`${key}: superseded`);
        this.pool.setModel(key, files);
        const info = await this.pool.load(key);
        if (!performance.getEntriesByName('strata:model-loaded').length) performance.mark('strata:model-loaded');
        const model = { id: entry.id, key, checkpoint, name: checkpoint === null ? entry.id : `${entry.id} at training step ${checkpoint}`,
          source: 'shipped', info, suite: files.suite, hooks: new HookTable(info.hooks ?? []), vocab: vocabulary(files.tokenizer),
          // The ONNX export is of the final weights only.
          onnx: checkpoint === null && typeof entry.onnx === 'string' ? entry : null, card: typeof entry.card === 'string' ? entry : null };
        this.models.set(key, model);
        return model;
      })();
      this.pending.set(key, pending);
      pending.promise.catch(() => {}).finally(() => { if (this.pending.get(key) === pending) this.pending.delete(key); });
    }
    return this.pending.get(key).promise;
  }

  async #checkpoint(entry, step) {
    const timeline = await this.timeline(entry);
    if (!timeline) throw new Error(`${entry.id} has no training timeline, so no checkpoint at step ${step}`);
    const point = timeline.checkpoints.find((c) => c.step === step);
    if (!point) throw new Error(`${entry.id} has no training checkpoint at step ${step} (it has steps ${timeline.checkpoints.map((c) => c.step).join(', ')})`);
    return point;
  }

  // Reads, checks and loads dropped files (or files from read(), e.g. the Hub);
  // throws SupersededError when isCurrent() turns false on the way (the load is
  // then cancelled).
  async openDropped(fileList, isCurrent, onStage, read = () => readDroppedFiles(fileList)) {
    const key = `dropped-${++this.dropCount}`;
    const pending = { id: null, cancelled: false };
    this.pending.set(key, pending);
    const stop = () => {
      if (!pending.cancelled && isCurrent()) return;
      this.pool.cancelModel(key, 'another model was chosen while this one loaded');
      throw new SupersededError('superseded');
    };
    try {
      const files = await read();
      stop();
      onStage('Checking and loading the model…');
      this.pool.setModel(key, files);
      const info = await this.pool.load(key);
      stop();
      const suiteNote = files.suiteText || !files.tokenizer ? null : await this.#buildSuite(key, files, onStage, stop);
      const id = `sha256-${info.weights_sha256}`;
      const model = { id, key, name: `Your model (${info.model_type}, weights SHA-256 ${String(info.weights_sha256).slice(0, 12)}…)`, source: 'dropped', info, suite: files.suite,
        suiteNote, hooks: new HookTable(info.hooks ?? []), vocab: vocabulary(files.tokenizer), onnx: null, card: null };
      this.models.set(id, model);
      return Object.assign(model, { hashes: files.hashes ?? null });
    } catch (error) {
      this.pool.forgetModel(key);
      if (pending.cancelled || !isCurrent()) throw new SupersededError('superseded');
      throw error;
    } finally {
      if (this.pending.get(key) === pending) this.pending.delete(key);
    }
  }

  // A model with a tokenizer and no suite gets one built from the bank; the
  // workers then reload it with the suite. Returns what to tell the user.
  async #buildSuite(key, files, onStage, stop) {
    onStage('Building a natural-language suite for its tokenizer…');
    try {
      const built = await buildNlSuite(this.pool, key, this.base, (fraction) =>
        onStage(`Building a natural-language suite for its tokenizer: running the model on each item to mark those it answers wrong (${Math.round(100 * fraction)}%)…`));
      stop();
      Object.assign(files, { suiteText: built.text, suite: built.suite });
      this.pool.forgetModel(key);
      this.pool.setModel(key, files);
      return { kind: 'info', text: `No suite came with this model, so one was built from the natural-language bank for its tokenizer: ${built.summary}.` };
    } catch (error) {
      if (error instanceof SupersededError) throw error;
      return { kind: 'warning', text: `No suite came with this model, and none could be built for its tokenizer: ${error.message}. The views that need a suite stay closed.` };
    }
  }
}
