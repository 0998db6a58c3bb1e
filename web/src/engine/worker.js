// The engine's Web Worker: one wasm Engine instance, never on the main thread.
//
// Protocol (see pool.js): the first message is {type: 'init', engineUrl}, then
// {type: 'module', module | error}: the engine's wasm, compiled once by the page
// and instantiated here (or why it could not be compiled). The worker
// answers {type: 'ready', version, analyses} or {type: 'failed', error}; analyses is the
// engine's list (engine.listAnalyses()), null from the prediction-only module. Then requests
// {id, type: 'load' | 'tokenize' | 'run' | 'analyze' | 'report' | 'parseReport' | 'buildSuite' | 'crash', threads?, ...} get
// {id, ok, result | error, fatal?}; a long analysis also sends {id, type: 'progress', fraction, stage}.
// A model's suite (suite.json text, optional) comes with the model and is parsed
// by the engine when an analysis or a report first needs it: a prediction does
// not, and parsing a suite of a thousand items before the first prediction
// cost more than loading the model.
// An engine error comes back as a value; an exception (a wasm abort, a trap) is fatal:
// the instance is dead and the pool replaces this worker.
let engine = null;
let setThreads = null;  // the threaded module's Module.setThreads, null in the single-threaded one
let pendingSuite = null;  // the loaded model's suite.json text until the engine has parsed it

// Gives the engine the loaded model's suite, once. '' (no suite) unloads the
// previous model's, so that a model without a suite never keeps another's.
function ensureSuite() {
  if (pendingSuite === null || typeof engine.loadSuite !== 'function') return;
  const text = pendingSuite;
  pendingSuite = null;
  engine.loadSuite(text);  // a broken suite is reported by the analyses that need one
}

// The compiled engine module, from the page's 'module' message.
let moduleArrived;
const compiledModule = new Promise((resolve, reject) => { moduleArrived = { resolve, reject }; });
compiledModule.catch(() => {});  // a failure is reported by init()

// The glue script loads while the page compiles the wasm.
async function init(engineUrl) {
  const { default: createStrataEngine } = await import(/* @vite-ignore */ engineUrl);
  let failed;
  const instantiateFailed = new Promise((_, reject) => { failed = reject; });
  const Module = await Promise.race([instantiateFailed, createStrataEngine({
    instantiateWasm(imports, receive) {
      compiledModule.then(async (module) => receive(await WebAssembly.instantiate(module, imports), module)).catch(failed);
      return {};
    },
  })]);
  engine = new Module.Engine();
  if (Module.maxThreads > 1) setThreads = Module.setThreads;
  const analyses = typeof engine.listAnalyses === 'function' ? JSON.parse(engine.listAnalyses()) : null;
  return { version: Module.version, analyses };
}

function engineError(message) {
  return Object.assign(new Error(message), { engineError: true });
}

function unwrap(result, what) {
  if (!result || result.ok !== true) throw Object.assign(new Error(result?.error ?? `${what} failed`), { engineError: true });
  return result;
}

// The engine's progress callback for request `id`, posted at most every 100 ms (and at the end).
function progressPoster(id) {
  let last = 0;
  return (fraction, stage) => {
    const now = performance.now();
    if (now - last < 100 && fraction < 1) return;
    last = now;
    postMessage({ id, type: 'progress', fraction, stage: String(stage) });
  };
}

const handlers = {
  load({ config, weights, tokenizer, suite }) {
    const r = unwrap(engine.load(config, weights, tokenizer ?? null), 'load');
    const info = JSON.parse(r.info);
    pendingSuite = suite ?? '';
    return { info };
  },
  tokenize({ text }) {
    const r = unwrap(engine.tokenize(text), 'tokenize');
    return { ids: Int32Array.from(r.ids), tokens: Array.from(r.tokens) };
  },
  run({ ids, request, topK }) {
    const r = unwrap(engine.run(Int32Array.from(ids), request, topK), 'run');
    const captures = {};
    for (const [name, t] of Object.entries(r.captures)) captures[name] = { shape: Array.from(t.shape), data: t.data };
    return {
      logits: { shape: Array.from(r.logits.shape), data: r.logits.data },
      topK: Array.from(r.topK, (t) => ({ id: t.id, token: t.token, probability: t.probability, logit: t.logit })),
      captures,
    };
  },
  analyze({ id, name, request }) {
    if (typeof engine.analyze !== 'function') throw engineError('this engine build has no analyses (engine.analyze is missing)');
    ensureSuite();
    const r = unwrap(engine.analyze(name, request, progressPoster(id)), name);
    return { result: JSON.parse(r.result) };
  },
  report({ request }) {
    if (typeof engine.report !== 'function') throw engineError('this engine build cannot write reports (engine.report is missing)');
    ensureSuite();
    return { report: unwrap(engine.report(request), 'report').report };
  },
  parseReport({ text }) {
    if (typeof engine.parseReport !== 'function') throw engineError('this engine build cannot read reports (engine.parseReport is missing)');
    return { report: JSON.parse(unwrap(engine.parseReport(text), 'report').report) };
  },
  buildSuite({ id, bank, seed }) {
    if (typeof engine.buildSuite !== 'function') throw engineError('this engine build cannot build suites (engine.buildSuite is missing)');
    return { suite: unwrap(engine.buildSuite(bank, seed, progressPoster(id)), 'building a suite').suite };
  },
  crash() {
    setTimeout(() => { throw new Error('the engine worker was stopped on purpose (test)'); });
    return new Promise(() => {});
  },
};

function transferables(result) {
  const list = [];
  if (result?.logits) list.push(result.logits.data.buffer);
  for (const t of Object.values(result?.captures ?? {})) list.push(t.data.buffer);
  return list;
}

self.onmessage = async ({ data }) => {
  if (data.type === 'module') {
    if (data.error) moduleArrived.reject(new Error(data.error));
    else moduleArrived.resolve(data.module);
    return;
  }
  if (data.type === 'init') {
    try {
      postMessage({ type: 'ready', ...await init(data.engineUrl) });
    } catch (error) {
      postMessage({ type: 'failed', error: String(error?.message ?? error) });
    }
    return;
  }
  const { id, type } = data;
  try {
    if (setThreads && data.threads) setThreads(data.threads);
    const result = await handlers[type](data);
    postMessage({ id, ok: true, result }, transferables(result));
  } catch (error) {
    postMessage({ id, ok: false, error: String(error?.message ?? error), fatal: !error?.engineError });
  }
};
