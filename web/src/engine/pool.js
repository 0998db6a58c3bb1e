// A pool of engine Web Workers (one wasm instance each) behind a promise API.
//
//   const pool = new EnginePool({ engineUrl, threadedEngineUrl, coreEngineUrl });
//   pool.threading                     -> {threaded, cores, reason}: which engine module runs, and why
//                                         (see chooseEngine)
//   pool.setModel(key, files)          remember the files of a model (each worker loads it on demand)
//   pool.cancelModel(key)              forget it, stopping a load in progress
//   await pool.load(key)               -> info (parsed JSON) — loads on one worker, surfaces errors
//   await pool.analyses()              -> the engine's analyses (engine.listAnalyses(), parsed)
//   await pool.tokenize(key, text)     -> {ids: Int32Array, tokens}
//   await pool.run(key, ids, request, topK) -> {logits, topK, captures}
//   await pool.analyze(key, name, request, onProgress, signal) -> {result} (request: {settings, seed}; the model's suite)
//       an aborted signal drops the request if it waits, or stops the worker running it (a wasm call
//       cannot be interrupted) and starts a fresh one; the promise rejects with CancelledError
//   await pool.report(key, request)    -> {report: text};  await pool.parseReport(text) -> {report}
//   await pool.buildSuite(key, bank, seed, onProgress?) -> {suite: text}: a natural-language suite for the
//       model's tokenizer, the items the model answers wrong marked (onProgress as for analyze)
//
// Two kinds of parallelism share the cores. Sweeps split their items into shards
// that run on several workers (up to poolSize()). Inside one instance, the threaded
// module splits each product over threads; a request gets
// cores / (analyses running or waiting, at most the pool's size) threads: a prediction
// or a lone analysis all the cores, each of a sweep's shards its share.
//
// The first prediction runs on the prediction-only module (coreEngineUrl: load,
// tokenize, run), a third the size of the full one, when the single-threaded
// module is the one in use. The full module starts once that prediction has
// answered (or sooner, when a request needs it), and the prediction-only worker
// is stopped as soon as a full worker holds its model.
//
// Each engine module is compiled once, by the page as it streams in, and the
// compiled module is handed to every worker that runs it.
//
// Requests carry ids and are queued until a worker is free. A worker whose instance
// dies (an uncaught error, a wasm abort) is replaced; its request is rejected with a
// message saying so. Results arrive as copies (transferred buffers), never views into
// a wasm heap. The main thread never runs wasm.

const MAX_START_FAILURES = 3;
const QUICK = new Set(['tokenize', 'run']);
const CORE_REQUESTS = new Set(['load', 'tokenize', 'run']);  // what the prediction-only module can answer
// How long analyses() waits for the first prediction before it starts the full
// module anyway (a page that asks for analyses and makes no prediction).
const FULL_ENGINE_DELAY_MS = 2000;

export function poolSize() {
  const n = Number(globalThis.navigator?.hardwareConcurrency) || 1;
  return Math.max(1, Math.min(4, Math.floor(n)));
}

// The threaded engine module needs SharedArrayBuffer, which a browser gives only
// to a cross-origin isolated page (the service worker, web/public/sw.js, makes
// the page so from its second load on, on any static host); more than one core
// is needed for it to help.
export function chooseEngine({ engineUrl, threadedEngineUrl }, scope = globalThis) {
  const cores = Math.max(1, Math.floor(Number(scope.navigator?.hardwareConcurrency) || 1));
  let reason = null;
  if (!threadedEngineUrl) reason = 'no threaded engine was given';
  else if (cores < 2) reason = 'this device has one core';
  else if (!scope.crossOriginIsolated || typeof scope.SharedArrayBuffer !== 'function') reason = 'the page is not cross-origin isolated';
  return reason ? { url: engineUrl, threading: { threaded: false, cores: 1, reason } }
    : { url: threadedEngineUrl, threading: { threaded: true, cores: Math.min(cores, 8), reason: null } };
}

export class EngineError extends Error {}
export class CancelledError extends Error {}

export class EnginePool {
  constructor({ engineUrl, threadedEngineUrl = null, coreEngineUrl = null, size = poolSize() }) {
    ({ url: this.engineUrl, threading: this.threading } = chooseEngine({ engineUrl, threadedEngineUrl }));
    this.singleEngineUrl = engineUrl;
    this.coreEngineUrl = this.threading.threaded ? null : coreEngineUrl;
    this.firstRunAnswered = false;
    // The engine's analyses, as the first full worker to start lists them.
    this.analysisList = new Promise((resolve) => { this.resolveAnalysisList = resolve; });
    this.fullAsked = false;  // whether analyses() has asked for the full module
    this.compiled = new Map();  // engine module URL -> promise of its compiled WebAssembly.Module
    this.size = size;
    this.models = new Map();
    this.queue = [];
    this.nextId = 1;
    this.startFailures = 0;
    this.broken = null;
    this.listeners = new Set();
    // One worker starts at once; the others start when work waits for them (a
    // sweep's shards), so that on a small machine the first prediction does not
    // share the cores with instances it does not use.
    this.workers = [this.#spawn(Boolean(this.coreEngineUrl))];
  }

  analyses() {
    if (!this.fullAsked) {
      this.fullAsked = true;
      if (this.firstRunAnswered || !this.#coreSlot()) this.#startFull();
      else setTimeout(() => this.#startFull(), FULL_ENGINE_DELAY_MS);
    }
    return this.analysisList;
  }

  onEvent(listener) {
    this.listeners.add(listener);
  }

  setModel(key, files) {
    this.models.set(key, files);
  }

  forgetModel(key) {
    this.models.delete(key);
    for (const w of this.workers) if (w.modelKey === key) w.modelKey = null;
  }

  // Drops a model whose load was superseded by a later choice: its queued
  // requests are rejected, and a worker still loading it is stopped and replaced
  // (finishing that load would only delay the model chosen after it).
  cancelModel(key, reason = 'the model was no longer wanted') {
    this.models.delete(key);
    const queued = this.queue.filter((j) => j.key === key);
    this.queue = this.queue.filter((j) => j.key !== key);
    for (const job of queued) job.reject(new EngineError(reason));
    for (const [index, slot] of this.workers.entries()) {
      if (slot.modelKey === key) slot.modelKey = null;
      if (slot.dead || slot.busy?.key !== key || slot.busy.step !== 'load') continue;
      const job = slot.busy;
      slot.dead = true;
      slot.busy = null;
      slot.worker.terminate();
      this.workers[index] = this.#spawn(slot.core);
      job.reject(new EngineError(reason));
    }
    this.#pump();
  }

  load(key) {
    return this.#submit({ type: 'load', key }).then((r) => r.info);
  }

  tokenize(key, text) {
    return this.#submit({ type: 'tokenize', key, text });
  }

  run(key, ids, request, topK = 10) {
    return this.#submit({ type: 'run', key, ids: Int32Array.from(ids), request: JSON.stringify(request), topK });
  }

  analyze(key, name, request, onProgress = null, signal = null) {
    return this.#submit({ type: 'analyze', key, name, request: JSON.stringify(request), onProgress }, signal);
  }

  report(key, request) {
    return this.#submit({ type: 'report', key, request: JSON.stringify(request) });
  }

  parseReport(text) {
    return this.#submit({ type: 'parseReport', text });
  }

  buildSuite(key, bank, seed, onProgress = null) {
    return this.#submit({ type: 'buildSuite', key, bank, seed, onProgress });
  }

  // Stops one worker as a crash would (used by the browser tests).
  crashOne() {
    return this.#submit({ type: 'crash' });
  }

  #emit(event) {
    for (const l of this.listeners) l(event);
  }

  // core: the prediction-only module, else the full one.
  #spawn(core = false) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const slot = { worker, ready: false, busy: null, modelKey: null, dead: false, core };
    worker.onmessage = ({ data }) => this.#onMessage(slot, data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#replace(slot, event.message || 'the engine worker failed');
    };
    worker.onmessageerror = () => this.#replace(slot, 'a message from the engine worker could not be read');
    const engineUrl = core ? this.coreEngineUrl : this.engineUrl;
    worker.postMessage({ type: 'init', engineUrl });
    this.#compile(engineUrl).then((module) => ({ type: 'module', module }), (error) => ({ type: 'module', error: String(error?.message ?? error) }))
      .then((message) => { if (!slot.dead) worker.postMessage(message); });
    return slot;
  }

  // A failed compile is forgotten, so that the worker that replaces this one tries again.
  #compile(engineUrl) {
    if (!this.compiled.has(engineUrl)) {
      this.compiled.set(engineUrl, compileEngine(engineUrl).catch((error) => {
        this.compiled.delete(engineUrl);
        throw error;
      }));
    }
    return this.compiled.get(engineUrl);
  }

  #coreSlot() {
    return this.workers.find((w) => w.core && !w.dead) ?? null;
  }

  // Starts a full worker unless one runs or starts.
  #startFull() {
    if (this.broken || this.workers.some((w) => !w.core && !w.dead)) return;
    this.workers.push(this.#spawn());
  }

  // Stops the prediction-only worker once it is idle and a full worker that is
  // ready holds its model (or it holds none): predictions then go to that one.
  #retireCore() {
    const core = this.#coreSlot();
    if (!core || core.busy) return;
    if (!this.workers.some((w) => !w.core && w.ready && !w.dead && (core.modelKey === null || w.modelKey === core.modelKey))) return;
    core.dead = true;
    core.worker.terminate();
    this.workers.splice(this.workers.indexOf(core), 1);
  }

  #onMessage(slot, data) {
    if (data.type === 'ready') {
      if (!this.version) performance.mark('strata:engine-ready');  // the first instance up: a stage of the first prediction
      slot.ready = true;
      this.startFailures = 0;
      this.version = data.version;
      if (!slot.core) this.resolveAnalysisList(data.analyses ?? []);  // the first full worker's list stands
      this.#retireCore();
      this.#pump();
      return;
    }
    if (data.type === 'failed') {
      this.#replace(slot, data.error, true);
      return;
    }
    const job = slot.busy;
    if (!job || job.id !== data.id) return;
    if (data.type === 'progress') {
      job.onProgress?.(data.fraction, data.stage);
      return;
    }
    slot.busy = null;
    if (job.step === 'run' && !this.firstRunAnswered) {
      this.firstRunAnswered = true;
      if (this.fullAsked) this.#startFull();
    }
    if (data.ok) {
      if (job.step === 'load') {
        slot.modelKey = job.key;
        job.info = data.result.info;
        if (job.type === 'load') job.resolve(data.result);
        else this.queue.unshift(job);
      } else {
        job.resolve(data.result);
      }
    } else if (data.fatal) {
      slot.busy = job;
      this.#replace(slot, data.error);
      return;
    } else {
      if (job.step === 'load') slot.modelKey = null;
      job.reject(new EngineError(data.error));
    }
    this.#retireCore();
    this.#pump();
  }

  #replace(slot, reason, duringStart = false) {
    if (slot.dead) return;
    slot.dead = true;
    slot.worker.terminate();
    const job = slot.busy;
    slot.busy = null;
    const index = this.workers.indexOf(slot);
    if (!slot.ready && this.threading.threaded && !this.version) {
      // The threaded module never started (a browser that cannot start workers
      // from a worker, for one): the single-threaded module takes over, quietly
      // (a worker gets work only once ready, so no request is lost).
      this.engineUrl = this.singleEngineUrl;
      this.threading = { threaded: false, cores: 1, reason: `the threaded engine could not start: ${reason}` };
      this.workers[index] = this.#spawn();
      return;
    }
    if (duringStart || !slot.ready) this.startFailures++;
    if (this.startFailures >= MAX_START_FAILURES) {
      this.broken = `The engine could not start (${reason}).`;
      this.workers.splice(index, 1);
      this.#rejectAll(this.broken, job);
      this.#emit({ type: 'broken', message: this.broken });
      return;
    }
    this.workers[index] = this.#spawn();
    const message = `The engine stopped while ${describe(job)} (${reason}); it has been restarted.`;
    if (job) job.reject(new EngineError(message));
    this.#emit({ type: 'restarted', message });
    this.#pump();
  }

  #rejectAll(message, job) {
    if (job) job.reject(new EngineError(message));
    for (const q of this.queue.splice(0)) q.reject(new EngineError(message));
  }

  #submit(request, signal = null) {
    if (this.broken) return Promise.reject(new EngineError(this.broken));
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled'));
    return new Promise((resolve, reject) => {
      const job = { ...request, resolve, reject };
      signal?.addEventListener('abort', () => this.#cancel(job), { once: true });
      this.queue.push(job);
      this.#pump();
    });
  }

  // A waiting job leaves the queue; a running one takes its worker with it (the
  // only way to stop a wasm call), and a fresh worker takes the worker's place.
  #cancel(job) {
    const waiting = this.queue.indexOf(job);
    if (waiting >= 0) this.queue.splice(waiting, 1);
    const slot = this.workers.find((w) => w.busy === job && !w.dead);
    if (waiting < 0 && !slot) return;  // already answered
    if (slot) {
      slot.dead = true;
      slot.busy = null;
      slot.worker.terminate();
      this.workers[this.workers.indexOf(slot)] = this.#spawn(slot.core);
    }
    job.reject(new CancelledError('cancelled'));
    this.#pump();
  }

  // In order, except that a request only the full module can answer does not
  // hold up the predictions queued behind it while no full worker is free.
  #pump() {
    for (let i = 0; i < this.queue.length;) {
      const job = this.queue[i];
      if (this.#waitsForHolder(job)) return;
      const slot = this.#pickWorker(job);
      if (slot) {
        this.queue.splice(i, 1);
        this.#dispatch(slot, job);
        continue;
      }
      this.#grow(job);
      if (CORE_REQUESTS.has(job.type)) return;
      i++;
    }
  }

  // A quick request (tokenize, run) waits for a worker that holds its model and
  // is itself on a quick request, rather than have another worker load the
  // model: a cold load takes hundreds of ms, the wait a few, and the first
  // prediction would wait for that load.
  #waitsForHolder(job) {
    if (!QUICK.has(job.type)) return false;
    if (this.workers.some((w) => w.ready && !w.busy && !w.dead && w.modelKey === job.key)) return false;
    return this.workers.some((w) => !w.dead && w.modelKey === job.key && QUICK.has(w.busy?.step));
  }

  // An idle worker that can answer the job and holds its model, else any idle
  // worker that can answer it (which loads the model first).
  #pickWorker(job) {
    const idle = this.workers.filter((w) => w.ready && !w.busy && !w.dead && (!w.core || CORE_REQUESTS.has(job.type)));
    return idle.find((w) => w.modelKey === job.key) ?? idle[0] ?? null;
  }

  // Starts another full worker while queued jobs outnumber the workers starting
  // up (the prediction-only worker does not count against the pool's size).
  #grow(job) {
    if (!CORE_REQUESTS.has(job.type)) this.#startFull();
    const full = this.workers.filter((w) => !w.core && !w.dead);
    const starting = this.workers.filter((w) => !w.ready && !w.dead).length;
    if (full.length < this.size && starting < this.queue.length) this.workers.push(this.#spawn());
  }

  #dispatch(slot, job) {
    job.id = this.nextId++;
    const needsLoad = job.key !== undefined && (job.type === 'load' || slot.modelKey !== job.key);
    if (needsLoad) {
      const files = this.models.get(job.key);
      if (!files) {
        job.reject(new EngineError(`no model called "${job.key}" has been opened`));
        return;
      }
      job.step = 'load';
      slot.busy = job;
      slot.modelKey = null;
      slot.worker.postMessage({ id: job.id, type: 'load', config: files.config, weights: files.weights, tokenizer: files.tokenizer,
        suite: files.suiteText ?? null, threads: this.threading.cores });
      return;
    }
    job.step = job.type;
    slot.busy = job;
    const { resolve, reject, step, info, onProgress, ...message } = job;
    slot.worker.postMessage({ ...message, threads: this.#threadsFor(job) });
  }

  // The threads one request may use (see the head of this file).
  #threadsFor(job) {
    if (!this.threading.threaded || job.type !== 'analyze') return this.threading.cores;
    const analyses = this.queue.filter((j) => j.type === 'analyze').length
      + this.workers.filter((w) => w.busy?.type === 'analyze' && !w.dead).length;
    return Math.max(1, Math.floor(this.threading.cores / Math.min(this.size, Math.max(1, analyses))));
  }
}

// The wasm beside an engine module's glue script, compiled as it streams in.
async function compileEngine(engineUrl) {
  const response = await fetch(new URL(engineUrl.replace(/\.js$/, '.wasm')), { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  try {
    return await WebAssembly.compileStreaming(response.clone());
  } catch {
    // A server that sends another content type than application/wasm: compile from the bytes.
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

function describe(job) {
  if (!job) return 'idle';
  if (job.step === 'load') return 'loading a model';
  if (job.type === 'analyze') return `running the analysis "${job.name}"`;
  return { tokenize: 'tokenizing', run: 'running the model', report: 'writing a report', parseReport: 'reading a report', crash: 'running a deliberate crash' }[job.type] ?? 'working';
}
