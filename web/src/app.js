// The page's controller: state from the URL hash → models and prompts → engine
// runs → data for the current view. The only module that touches `location`, and
// (through the pool) the engine; views receive plain data and callbacks.
import { runAnalysis } from './engine/analyses.js';
import { EnginePool } from './engine/pool.js';
import { HookTable } from './engine/hooks.js';
import { OrtBackend } from './engine/ort-backend.js';
import { lessonById } from './lessons/index.js';
import { fetchManifest, fetchOnnx, fetchShippedModel, readDroppedFiles } from './models/sources.js';
import { vocabulary } from './models/vocab.js';
import { fitAblations, formatInterventions, toEngine, toggleAblation } from './state/interventions.js';
import { formatHash, parseHash } from './state/url-state.js';
import { download } from './charts/export.js';
import { clear, el, percent, tokenLabel } from './ui/dom.js';
import { lessonPanel } from './ui/lesson-panel.js';
import { reportBar } from './ui/report-bar.js';
import * as ablationView from './views/ablation.js';
import * as attentionView from './views/attention.js';
import * as attributionView from './views/attribution.js';
import * as flowView from './views/attention-flow.js';
import * as lensView from './views/lens.js';
import * as lessonsView from './views/lessons.js';
import * as modelView from './views/model-prompt.js';
import * as neuronsView from './views/neurons.js';
import * as patchingView from './views/patching.js';
import * as studyView from './views/recall-reasoning.js';

const VIEWS = [modelView, attentionView, flowView, lensView, attributionView, patchingView, ablationView, studyView, neuronsView, lessonsView];
const MAX_CACHED_ANALYSES = 48;
const TOP_K = 10;
const MAX_NOTICES = 16;
const SHA_ID = /^sha256-[0-9a-f]{64}$/;

export class App {
  constructor(root) {
    this.root = root;
    this.base = document.baseURI;
    this.pool = new EnginePool({ engineUrl: new URL('engine/strata-engine.js', this.base).href });
    this.pool.onEvent((e) => this.notify(e.message, 'error'));
    this.manifest = [];
    this.models = new Map();
    this.pending = new Map();
    this.cache = new Map();
    this.notices = [];
    this.generation = 0;
    this.dropCount = 0;
    this.marked = false;
    this.ort = new OrtBackend();
    this.analysisCache = new Map();
    this.report = null;
    this.renderQueued = false;
    this.data = { model: null, loading: null, modelError: null, prompt: null, clean: null, ablated: null, runError: null, parity: null, analyses: {} };
    this.actions = {
      set: (patch) => this.update(patch),
      selectModel: (id) => {
        this.data.modelError = null;
        return this.update({ model: id, item: null });
      },
      setPrompt: (text) => this.update({ prompt: text.slice(0, 2000), item: null }),
      selectItem: (id) => this.update({ item: id, prompt: null }),
      toggleAblation: (a) => this.update({ interventions: toggleAblation(this.state.interventions, a) }),
      openFiles: (files) => this.openFiles(files),
      notify: (text) => this.notify(text, 'error'),
      startLesson: (id) => this.goToStep(id, 0),
      goToStep: (id, step) => this.goToStep(id, step),
      endLesson: () => this.update({ lesson: null, step: 0 }),
      openReport: (file) => this.openReport(file),
      saveReport: () => this.saveReport(),
      closeReport: () => { this.report = null; return this.refresh(); },
    };
  }

  async start() {
    this.readHash();
    window.addEventListener('hashchange', () => this.readHash() || this.refresh());
    document.getElementById('copy-link').addEventListener('click', () => this.copyLink());
    this.reportBar = reportBar(document.getElementById('report-bar'), this.actions);
    this.lessonPanel = lessonPanel(document.getElementById('lesson'), this.actions);
    this.renderTabs();
    this.mountView();
    try {
      this.manifest = await fetchManifest(this.base);
    } catch (error) {
      this.notify(`No shipped models could be listed (${error.message}). You can still drop a model folder in.`, 'error');
    }
    await this.refresh();
  }

  readHash() {
    const { state, notices } = parseHash(location.hash);
    this.state = state;
    for (const n of notices) this.notify(n, 'warning');
    if (state.lesson !== null && !lessonById(state.lesson)) {
      this.notify(`The link's lesson "${state.lesson}" does not exist; it was ignored.`, 'warning');
      state.lesson = null;
    }
  }

  writeHash() {
    const hash = formatHash(this.state);
    if (hash !== location.hash && !(hash === '#' && !location.hash)) history.replaceState(null, '', hash === '#' ? location.pathname + location.search : hash);
  }

  update(patch) {
    const viewChanged = patch.view !== undefined && patch.view !== this.state.view;
    Object.assign(this.state, patch);
    this.writeHash();
    if (viewChanged) {
      this.renderTabs();
      this.mountView();
    }
    return this.refresh();
  }

  notify(text, kind = 'warning') {
    if (this.notices.some((n) => n.text === text)) return;
    this.notices.push({ text, kind });
    if (this.notices.length > MAX_NOTICES) this.notices.shift();
    this.renderNotices();
  }

  // --- models --------------------------------------------------------------------

  async ensureModel() {
    const wanted = this.state.model ?? this.manifest[0]?.id ?? null;
    if (this.data.model?.id === wanted) return;
    if (wanted === null) {
      this.data.model = null;
      return;
    }
    if (this.models.has(wanted)) {
      this.data.model = this.models.get(wanted);
      return;
    }
    const entry = this.manifest.find((m) => m.id === wanted);
    if (!entry) {
      if (SHA_ID.test(wanted)) {
        this.data.model = null;
        this.data.modelError = `This link uses a model that was opened from files (weights SHA-256 ${wanted.slice(7, 19)}…). Drop the same files in the Model & prompt view to open it.`;
        this.notify(this.data.modelError);
        return;
      }
      this.notify(`The link's model "${wanted}" is not one of this page's models; the first one is shown instead.`);
      this.state.model = this.manifest[0]?.id ?? null;
      this.writeHash();
      return this.ensureModel();
    }
    this.data.loading = `Loading ${entry.id}…`;
    this.render();
    try {
      const model = await this.loadShipped(entry);
      if (this.state.model === null || this.state.model === entry.id) this.data.model = model;
      this.data.modelError = null;
    } catch (error) {
      this.data.model = null;
      this.data.modelError = `Could not open the model "${entry.id}": ${error.message}`;
    } finally {
      this.data.loading = null;
    }
  }

  // One download and load per shipped model, however many refreshes ask for it.
  loadShipped(entry) {
    if (!this.pending.has(entry.id)) {
      const promise = (async () => {
        const files = await fetchShippedModel(this.base, entry);
        this.pool.setModel(entry.id, files);
        const info = await this.pool.load(entry.id);
        if (!performance.getEntriesByName('strata:model-loaded').length) performance.mark('strata:model-loaded');
        const model = { id: entry.id, key: entry.id, name: entry.id, source: 'shipped', info, suite: files.suite, hooks: new HookTable(info.hooks ?? []),
          vocab: vocabulary(files.tokenizer), onnx: typeof entry.onnx === 'string' ? entry : null };
        this.models.set(entry.id, model);
        return model;
      })();
      this.pending.set(entry.id, promise);
      promise.catch(() => {}).finally(() => this.pending.delete(entry.id));
    }
    return this.pending.get(entry.id);
  }

  async openFiles(fileList) {
    this.data.loading = 'Reading the files…';
    this.data.modelError = null;
    this.render();
    const key = `dropped-${++this.dropCount}`;
    try {
      const files = await readDroppedFiles(fileList);
      this.data.loading = 'Checking and loading the model…';
      this.render();
      this.pool.setModel(key, files);
      const info = await this.pool.load(key);
      const id = `sha256-${info.weights_sha256}`;
      const model = { id, key, name: `Your model (${info.model_type}, weights SHA-256 ${String(info.weights_sha256).slice(0, 12)}…)`, source: 'dropped', info, suite: files.suite, hooks: new HookTable(info.hooks ?? []),
        vocab: vocabulary(files.tokenizer), onnx: null };
      this.models.set(id, model);
      this.data.loading = null;
      this.data.model = null;
      await this.update({ model: id, item: null, interventions: [] });
    } catch (error) {
      this.pool.forgetModel(key);
      this.data.loading = null;
      this.data.modelError = `Could not open the dropped model: ${error.message}`;
      this.render();
    }
  }

  // --- prompt and runs -----------------------------------------------------------

  resolvePrompt() {
    const model = this.data.model;
    const items = model?.suite?.items ?? [];
    let item = null;
    if (this.state.item !== null) {
      item = items.find((it) => it.id === this.state.item) ?? null;
      if (!item) {
        this.notify(`The suite item "${this.state.item}" is not in this model's suite; it was ignored.`);
        this.state.item = null;
      }
    }
    if (!item && this.state.prompt === null && items.length) {
      item = items[0];
      this.state.item = item.id;
    }
    return { text: item?.prompt ?? this.state.prompt ?? '', item };
  }

  async tokenize(model, text) {
    if (model.info.tokenizer) return this.pool.tokenize(model.key, text);
    const parts = text.trim().split(/[\s,]+/).filter(Boolean);
    if (!parts.every((p) => /^\d{1,9}$/.test(p))) throw new Error('this model has no tokenizer.json, so type the prompt as token ids separated by spaces');
    const ids = Int32Array.from(parts.map(Number));
    return { ids, tokens: Array.from(ids, String) };
  }

  fitSelection(info) {
    const { kept, dropped } = fitAblations(this.state.interventions, info.n_layers, info.n_heads);
    if (dropped.length) {
      this.notify(`Ablations outside this model (${info.n_layers} layers × ${info.n_heads} heads) were removed: ${formatInterventions(dropped)}.`);
      this.state.interventions = kept;
    }
    if (this.state.layer >= info.n_layers) {
      this.notify(`Layer ${this.state.layer} does not exist in this model (it has ${info.n_layers}); layer 0 is shown.`);
      this.state.layer = 0;
    }
    if (this.state.head >= info.n_heads) {
      this.notify(`Head ${this.state.head} does not exist in this model (it has ${info.n_heads} per layer); head 0 is shown.`);
      this.state.head = 0;
    }
  }

  cachedRun(model, ids, request) {
    const key = `${model.key}|${Array.from(ids).join(',')}|${JSON.stringify(request)}`;
    if (!this.cache.has(key)) {
      const promise = this.pool.run(model.key, ids, request, TOP_K).then((r) => summarise(r, model));
      promise.catch(() => this.cache.delete(key));
      this.cache.set(key, promise);
      if (this.cache.size > 24) this.cache.delete(this.cache.keys().next().value);
    }
    return this.cache.get(key);
  }

  async refresh() {
    const gen = ++this.generation;
    await this.ensureModel();
    if (gen !== this.generation) return;
    const model = this.data.model;
    this.data.prompt = null;
    this.data.clean = null;
    this.data.ablated = null;
    this.data.runError = null;
    this.data.parity = null;
    this.data.analyses = {};
    this.data.answerId = -1;
    if (!model) {
      this.writeHash();
      this.render();
      return;
    }
    if (this.state.model === null) this.state.model = model.id;
    this.fitSelection(model.info);
    const { text, item } = this.resolvePrompt();
    this.writeHash();
    this.data.prompt = { text, item, tokens: null, ids: null };
    this.render();
    try {
      if (!text.trim()) throw new Error('Type a prompt to see what the model predicts.');
      const { ids, tokens } = await this.tokenize(model, text);
      if (!ids.length) throw new Error('The prompt has no tokens.');
      if (ids.length > model.info.n_ctx) throw new Error(`The prompt has ${ids.length} tokens; this model reads at most ${model.info.n_ctx}.`);
      this.data.prompt = { text, item, tokens, ids };
      const ablations = this.state.interventions;
      const [clean, ablated, answerId] = await Promise.all([
        this.cachedRun(model, ids, { capture: model.hooks.all('attn.hook_pattern'), interventions: [] }),
        ablations.length ? this.cachedRun(model, ids, { capture: [], interventions: toEngine(ablations, model.hooks) }) : null,
        this.answerId(model, item),
      ]);
      if (gen !== this.generation) return;
      Object.assign(this.data, { clean, ablated, answerId });
      if (this.state.backend === 'ort') await this.runOnnx(gen, model, ids, ablations);
    } catch (error) {
      if (gen !== this.generation) return;
      this.data.runError = error.message;
    }
    if (gen !== this.generation) return;
    this.render();
    this.startAnalyses(model);
  }

  // The ONNX Runtime backend: the same runs on the shipped model.onnx; what the
  // views show comes from it, and the parity readout compares it with the wasm engine.
  async runOnnx(gen, model, ids, ablations) {
    if (!model.onnx) {
      this.data.parity = { error: 'This model has no model.onnx, so only the WebAssembly engine can run it.' };
      return;
    }
    this.data.parity = { loading: true };
    this.render();
    const dims = { nLayers: model.info.n_layers, nHeads: model.info.n_heads };
    try {
      await this.ort.ensure(model.key, () => fetchOnnx(this.base, model.onnx), dims);
      const [clean, ablated] = await Promise.all([
        this.ort.run(ids, [], dims),
        ablations.length ? this.ort.run(ids, ablations, dims) : null,
      ]);
      if (gen !== this.generation) return;
      const wasm = this.data;
      const ortClean = summariseOnnx(clean, model);
      const ortAblated = ablated ? summariseOnnx(ablated, model) : null;
      this.data.parity = {
        logits: Math.max(maxAbsDifference(wasm.clean.logits, ortClean.logits), ortAblated ? maxAbsDifference(wasm.ablated.logits, ortAblated.logits) : 0),
        attention: maxAbsDifference(wasm.clean.patternData, ortClean.patternData),
        tokens: ids.length,
      };
      Object.assign(this.data, { clean: ortClean, ablated: ortAblated });
    } catch (error) {
      if (gen !== this.generation) return;
      this.data.parity = { error: `ONNX Runtime could not run this model: ${error.message}. The WebAssembly engine's results are shown.` };
    }
  }

  // --- analyses ------------------------------------------------------------------

  // The current view's analyses: from the open report, or computed (once per
  // model, analysis, settings and seed) on the worker pool.
  startAnalyses(model) {
    const view = VIEWS.find((v) => v.id === this.state.view);
    if (!view?.requests) return;
    const data = this.viewData();
    const wanted = view.requests(data) ?? [];
    const available = new Set((model.info.analyses ?? []).map((a) => a.name));
    const analyses = {};
    for (const { name, settings, label = name } of wanted) {
      if (this.report) {
        const result = this.report.report.results?.[name];
        analyses[label] = result ? { status: 'done', result, fromReport: true, settings: this.report.report.settings?.[name] }
          : { status: 'error', error: `The open report has no "${name}" analysis.` };
        continue;
      }
      if (!settings) {
        analyses[label] = { status: 'waiting' };
        continue;
      }
      if (!available.has(name)) {
        analyses[label] = { status: 'error', error: `This engine build has no "${name}" analysis.` };
        continue;
      }
      const key = `${model.key}|${name}|${JSON.stringify(settings)}|${this.state.seed}`;
      if (!this.analysisCache.has(key)) this.analysisCache.set(key, this.launch(model, name, settings));
      analyses[label] = this.analysisCache.get(key);
      if (this.analysisCache.size > MAX_CACHED_ANALYSES) {
        const [oldKey, old] = this.analysisCache.entries().next().value;
        if (old.status !== 'running') this.analysisCache.delete(oldKey);
      }
    }
    this.data.analyses = analyses;
    this.render();
  }

  launch(model, name, settings) {
    const entry = { status: 'running', name, settings, progress: 0, stage: 'starting', result: null, error: null };
    const seed = this.state.seed;
    const started = performance.now();
    entry.promise = runAnalysis(this.pool, model.key, name, { settings, seed }, (fraction, stage) => {
      entry.progress = fraction;
      entry.stage = stage;
      this.scheduleRender();
    }).then((result) => {
      Object.assign(entry, { status: 'done', result, progress: 1, ms: performance.now() - started });
    }, (error) => {
      Object.assign(entry, { status: 'error', error: error.message });
      for (const [k, v] of this.analysisCache) if (v === entry) this.analysisCache.delete(k);
    }).finally(() => this.scheduleRender());
    return entry;
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  // --- reports -------------------------------------------------------------------

  async saveReport() {
    const model = this.data.model;
    if (!model) return this.notify('Open a model before saving a report.', 'error');
    const names = [];
    const settings = {};
    for (const [key, entry] of this.analysisCache) {
      if (entry.status !== 'done' || !key.startsWith(`${model.key}|`)) continue;
      if (!names.includes(entry.name)) names.push(entry.name);
      settings[entry.name] = entry.settings;
    }
    if (!names.length) return this.notify('No analysis has run yet: open an analysis view first, then save its report.', 'warning');
    this.reportBar.busy(`Writing a report of ${names.join(', ')}…`);
    try {
      const { report } = await this.pool.report(model.key, { analyses: names, settings, seed: this.state.seed, model_id: model.id });
      download(`strata-report-${model.id.slice(0, 40)}.json`, new Blob([report], { type: 'application/json' }));
      this.reportBar.busy(null);
    } catch (error) {
      this.reportBar.busy(null);
      this.notify(`The report could not be written: ${error.message}`, 'error');
    }
  }

  async openReport(file) {
    const MAX_REPORT_BYTES = 256 * 1024 * 1024;
    try {
      if (file.size > MAX_REPORT_BYTES) throw new Error(`${file.name} is ${(file.size / 1024 ** 2).toFixed(0)} MB; reports up to 256 MB can be opened`);
      const { report } = await this.pool.parseReport(await file.text());
      this.report = { name: file.name, report };
      const views = report.analyses.map((n) => VIEWS.find((v) => v.analyses?.includes(n))).filter(Boolean);
      const view = views.find((v) => v.id === this.state.view) ?? views[0];
      this.notify(`Showing the report ${file.name}: ${report.analyses.join(', ')} (model ${report.model?.id}, seed ${report.seed}). Nothing is recomputed while it is open.`, 'info');
      await this.update(view ? { view: view.id } : {});
    } catch (error) {
      this.notify(`The report ${file.name} could not be opened: ${error.message}`, 'error');
    }
  }

  // --- lessons -------------------------------------------------------------------

  goToStep(id, step) {
    const lesson = lessonById(id);
    if (!lesson) return undefined;
    const k = Math.max(0, Math.min(step, lesson.steps.length - 1));
    const patch = { lesson: id, step: k, ...lesson.steps[k].state(this.lessonContext()) };
    if (patch.view === undefined) patch.view = this.state.view;
    return this.update(patch);
  }

  lessonContext() {
    const items = this.data.model?.suite?.items ?? [];
    return {
      model: this.data.model,
      item: (kind, split) => items.find((it) => it.kind === kind && (!split || it.split === split))?.id ?? null,
    };
  }

  async answerId(model, item) {
    if (!item?.answer || !model.info.tokenizer) return -1;
    try {
      const { ids } = await this.pool.tokenize(model.key, item.answer);
      return ids.length === 1 ? ids[0] : -1;
    } catch {
      return -1;
    }
  }

  // --- rendering -----------------------------------------------------------------

  viewData() {
    const names = new Map();
    for (const r of [this.data.clean, this.data.ablated]) for (const t of r?.top ?? []) names.set(t.id, t.token);
    const answer = this.data.prompt?.item?.answer;
    if (this.data.answerId >= 0 && answer) names.set(this.data.answerId, answer);
    const vocab = this.data.model?.vocab;
    return { ...this.data, state: this.state, manifest: this.manifest, ablations: this.state.interventions, report: this.report,
      tokenOf: (id) => names.get(id) ?? vocab?.get(id) ?? `#${id}` };
  }

  renderTabs() {
    const nav = clear(document.getElementById('tabs'));
    for (const v of VIEWS) {
      nav.append(el('button', {
        type: 'button', class: 'tab', text: v.title, dataset: { view: v.id },
        'aria-current': v.id === this.state.view ? 'page' : null,
        onclick: () => this.update({ view: v.id }),
      }));
    }
  }

  mountView() {
    const main = clear(document.getElementById('view'));
    const view = VIEWS.find((v) => v.id === this.state.view) ?? VIEWS[0];
    main.dataset.view = view.id;
    this.controller = view.mount(main, this.actions);
  }

  render() {
    if (document.getElementById('view').dataset.view !== this.state.view) {
      this.renderTabs();
      this.mountView();
    }
    const data = this.viewData();
    this.controller.update(data);
    this.renderSummary(data);
    this.renderNotices();
    this.reportBar.update(data);
    this.lessonPanel.update(data, lessonById(this.state.lesson));
    if (data.clean && !this.marked) {
      this.marked = true;
      performance.mark('strata:first-prediction');
    }
  }

  renderSummary(data) {
    const box = clear(document.getElementById('summary'));
    if (!data.model) return;
    const top = (data.ablations.length ? data.ablated : data.clean)?.top?.[0];
    box.append(
      el('span', { class: 'chip' }, [el('b', { text: 'Model ' }), el('span', { text: data.model.name })]),
      data.prompt ? el('span', { class: 'chip prompt-chip' }, [el('b', { text: 'Prompt ' }), el('span', { text: data.prompt.text })]) : null,
      top ? el('span', { class: 'chip', id: 'summary-prediction' }, [el('b', { text: data.ablations.length ? 'Prediction with ablations ' : 'Prediction ' }),
        el('span', { text: `${tokenLabel(top.token)} (${percent(top.probability)})` })]) : null,
    );
  }

  renderNotices() {
    const box = clear(document.getElementById('notices'));
    this.notices.forEach((n, i) => box.append(el('div', { class: `notice ${n.kind}` }, [
      el('span', { text: n.text }),
      el('button', { type: 'button', class: 'dismiss', text: '×', 'aria-label': 'Dismiss', onclick: () => { this.notices.splice(i, 1); this.renderNotices(); } }),
    ])));
  }

  async copyLink() {
    const link = location.href;
    const field = document.getElementById('share-link');
    field.hidden = false;
    field.value = link;
    field.select();
    try {
      await navigator.clipboard.writeText(link);
      document.getElementById('copy-link').textContent = 'Link copied';
    } catch {
      document.getElementById('copy-link').textContent = 'Copy the link beside';
    }
    setTimeout(() => { document.getElementById('copy-link').textContent = 'Copy link'; }, 2500);
  }
}

// Engine result -> what the views need: top tokens, all last-position probabilities,
// and the attention patterns indexed by layer and head.
function summarise(result, model) {
  const [T, V] = result.logits.shape;
  const probs = softmax(result.logits.data.subarray((T - 1) * V, T * V));
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
function summariseOnnx(result, model) {
  const [, T, V] = result.logits.shape;
  const last = result.logits.data.subarray((T - 1) * V, T * V);
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
