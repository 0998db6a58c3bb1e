// The page's controller: it wires the state store (URL and history), the model
// registry, the run service and the analysis scheduler to the views, and owns
// the notices and the open report. Views receive plain data and callbacks.
import { AnalysisScheduler } from './engine/analysis-scheduler.js';
import { EnginePool } from './engine/pool.js';
import { OrtBackend } from './engine/ort-backend.js';
import { RunService, maxAbsDifference, summariseOnnx } from './engine/run-service.js';
import { lessonById } from './lessons/index.js';
import { ModelChoice } from './model-choice.js';
import { ModelRegistry } from './models/registry.js';
import { fetchCard, fetchOnnx } from './models/sources.js';
import { fitAblations, formatInterventions, toEngine, toggleAblation } from './state/interventions.js';
import { StateStore, copyLink } from './state/store.js';
import { Notices } from './ui/notices.js';
import { lessonPanel } from './ui/lesson-panel.js';
import { reportBar } from './ui/report-bar.js';
import { renderSummary } from './ui/summary.js';
import { renderTabs } from './ui/tabs.js';
import { ReportSession } from './reports.js';
import { VIEWS, mountView } from './views/index.js';

export class App {
  constructor(root) {
    this.root = root;
    this.base = document.baseURI;
    const engine = (file) => new URL(`engine/${file}`, this.base).href;
    this.pool = new EnginePool({ engineUrl: engine('strata-engine.js'), threadedEngineUrl: engine('strata-engine-threads.js'),
      coreEngineUrl: engine('strata-engine-core.js') });
    this.pool.onEvent((e) => this.notify(e.message, 'error'));
    this.store = new StateStore();
    this.registry = new ModelRegistry(this.pool, this.base);
    this.runs = new RunService(this.pool);
    this.scheduler = new AnalysisScheduler(this.pool, () => this.scheduleRender(), () => this.data.model && this.startAnalyses(this.data.model));
    this.notices = new Notices(document.getElementById('notices'));
    this.reports = new ReportSession(this);
    this.generation = 0;
    this.models = new ModelChoice(this);
    this.marked = false;
    this.ort = new OrtBackend();
    this.renderQueued = false;
    this.data = { model: null, loading: null, modelError: null, prompt: null, clean: null, ablated: null, runError: null, parity: null, analyses: {}, previews: {}, timelines: {} };
    this.actions = {
      set: (patch) => this.update(patch),
      selectModel: (id) => this.models.choose(id),
      selectCheckpoint: (step) => this.models.chooseCheckpoint(step),
      timeline: (id) => this.timelineOf(id),
      setPrompt: (text) => this.update({ prompt: text.slice(0, 2000), item: null }),
      selectItem: (id) => this.update({ item: id, prompt: null }),
      toggleAblation: (a) => this.update({ interventions: toggleAblation(this.state.interventions, a) }),
      openFiles: (files) => this.models.openFiles(files),
      openHub: (text) => this.models.openHub(text),
      cancelHub: () => this.data.hub?.controller.abort(),
      notify: (text) => this.notify(text, 'error'),
      startLesson: (id) => this.goToStep(id, 0),
      goToStep: (id, step) => this.goToStep(id, step),
      endLesson: () => this.update({ lesson: null, step: 0 }),
      openReport: (file) => this.reports.open(file),
      saveReport: () => this.reports.save(),
      closeReport: () => this.reports.close(),
      toggleCard: () => this.toggleCard(),
    };
  }

  get state() { return this.store.state; }
  get manifest() { return this.registry.manifest; }
  get analysisCache() { return this.scheduler.cache; }
  get report() { return this.reports.current; }

  async start() {
    this.readHash();
    window.addEventListener('popstate', () => this.onHistory());
    window.addEventListener('hashchange', () => this.onHistory());
    document.getElementById('copy-link').addEventListener('click', () => copyLink());
    this.reportBar = reportBar(document.getElementById('report-bar'), this.actions);
    this.lessonPanel = lessonPanel(document.getElementById('lesson'), this.actions);
    this.mount();
    try {
      await this.registry.loadManifest();
    } catch (error) {
      this.notify(`No shipped models could be listed (${error.message}). You can still drop a model folder in.`, 'error');
    }
    await this.refresh();
  }

  // Back, Forward or an edited link: the URL is the state.
  onHistory() {
    if (this.lastHash === location.hash) return;
    this.readHash();
    this.refresh();
  }

  readHash() {
    for (const n of this.store.read()) this.notify(n, 'warning', 'link');
    this.lastHash = location.hash;
    if (this.state.lesson !== null && !lessonById(this.state.lesson)) {
      this.notify(`The link's lesson "${this.state.lesson}" does not exist; it was ignored.`, 'warning', 'link');
      this.state.lesson = null;
    }
  }

  writeHash(push = false) {
    this.store.write({ push });
    this.lastHash = location.hash;
  }

  update(patch) {
    const push = StateStore.isNavigation(this.state, patch);
    Object.assign(this.state, patch);
    this.writeHash(push);
    return this.refresh();
  }

  // about: what the notice describes ('model', 'report', 'run', 'link', …), so
  // that it can be withdrawn when that state goes away.
  notify(text, kind = 'warning', about = null) {
    this.notices.add(text, kind, about);
  }

  // The model card of the shipped model on screen, fetched when first asked for.
  async toggleCard() {
    const model = this.data.model;
    if (this.data.card?.model === model?.id) {
      this.data.card = null;
      return this.render();
    }
    if (!model?.card) return undefined;
    this.data.card = { model: model.id, text: null, error: null };
    this.render();
    try {
      this.data.card.text = await fetchCard(this.base, model.card);
    } catch (error) {
      this.data.card.error = `The model card could not be read: ${error.message}`;
    }
    return this.render();
  }

  // --- prompt and runs -----------------------------------------------------------

  resolvePrompt() {
    const items = this.data.model?.suite?.items ?? [];
    let item = null;
    if (this.state.item !== null) {
      item = items.find((it) => it.id === this.state.item) ?? null;
      if (!item) {
        this.notify(`The suite item "${this.state.item}" is not in this model's suite; it was ignored.`, 'warning', 'link');
        this.state.item = null;
      }
    }
    if (!item && this.state.prompt === null && items.length) {
      item = items[0];
      this.state.item = item.id;
    }
    return { text: item?.prompt ?? this.state.prompt ?? '', item };
  }

  fitSelection(info) {
    const { kept, dropped } = fitAblations(this.state.interventions, info.n_layers, info.n_heads);
    if (dropped.length) {
      this.notify(`Ablations outside this model (${info.n_layers} layers × ${info.n_heads} heads) were removed: ${formatInterventions(dropped)}.`, 'warning', 'link');
      this.state.interventions = kept;
    }
    if (this.state.layer >= info.n_layers) {
      this.notify(`Layer ${this.state.layer} does not exist in this model (it has ${info.n_layers}); layer 0 is shown.`, 'warning', 'link');
      this.state.layer = 0;
    }
    if (this.state.head >= info.n_heads) {
      this.notify(`Head ${this.state.head} does not exist in this model (it has ${info.n_heads} per layer); head 0 is shown.`, 'warning', 'link');
      this.state.head = 0;
    }
  }

  async refresh() {
    const gen = ++this.generation;
    await this.models.ensure();
    if (gen !== this.generation) return;
    const model = this.data.model;
    Object.assign(this.data, { prompt: null, clean: null, ablated: null, runError: null, parity: null, analyses: {}, previews: {}, answerId: -1, backend: 'wasm' });
    this.reports.checkBinding(model);
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
      const { ids, tokens } = await this.runs.tokenize(model, text);
      markFirst('strata:tokenized');
      if (!ids.length) throw new Error('The prompt has no tokens.');
      if (ids.length > model.info.n_ctx) throw new Error(`The prompt has ${ids.length} tokens; this model reads at most ${model.info.n_ctx}.`);
      this.data.prompt = { text, item, tokens, ids };
      const ablations = this.state.interventions;
      const [clean, ablated, answerId] = await Promise.all([
        this.runs.run(model, ids, { capture: model.hooks.all('attn.hook_pattern'), interventions: [], what: '' }),
        ablations.length ? this.runs.run(model, ids, { capture: [], interventions: toEngine(ablations, model.info.ablation_units), what: `with the ablations ${formatInterventions(ablations)}` }) : null,
        this.runs.answerId(model, item),
      ]);
      markFirst('strata:model-ran');
      if (gen !== this.generation) return;
      Object.assign(this.data, { clean, ablated, answerId });
      if (this.state.backend === 'ort') await this.runOnnx(gen, model, ids, ablations);
      this.notices.withdraw('run');
    } catch (error) {
      if (gen !== this.generation) return;
      this.data.runError = error.message;
      if (text.trim()) this.notify(error.message, 'error', 'run');
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
    const dims = { nLayers: model.info.n_layers, nHeads: model.info.n_heads, hooks: model.hooks };
    try {
      await this.ort.ensure(model.key, () => fetchOnnx(this.base, model.onnx), dims);
      const [clean, ablated] = await Promise.all([
        this.ort.run(ids, [], dims),
        ablations.length ? this.ort.run(ids, toEngine(ablations, model.info.ablation_units), dims) : null,
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
      Object.assign(this.data, { clean: ortClean, ablated: ortAblated, backend: 'ort' });
    } catch (error) {
      if (gen !== this.generation) return;
      this.data.parity = { error: `ONNX Runtime could not run this model: ${error.message}. The WebAssembly engine's results are shown.` };
    }
  }

  // --- analyses ------------------------------------------------------------------

  currentView() {
    return VIEWS.find((v) => v.id === this.state.view) ?? VIEWS[0];
  }

  startAnalyses(model) {
    const view = this.currentView();
    if (!view.requests) return;
    const wanted = view.requests(this.viewData()) ?? [];
    const keepWrong = this.state.answered === 'all' && Boolean(model.suite?.marked);
    const { analyses, previews } = this.scheduler.entries(model, wanted, { seed: this.state.seed, report: this.reports.current?.report ?? null, keepWrong });
    Object.assign(this.data, { analyses, previews });
    this.render();
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  // --- lessons -------------------------------------------------------------------

  // A step that opens a training checkpoint needs the model's timeline first.
  async goToStep(id, step) {
    const lesson = lessonById(id);
    if (!lesson) return undefined;
    const k = Math.max(0, Math.min(step, lesson.steps.length - 1));
    if (lesson.timeline && this.data.model) await this.timelineOf(this.data.model.id).catch(() => null);
    const patch = { lesson: id, step: k, ...lesson.steps[k].state(this.lessonContext()) };
    if (patch.view === undefined) patch.view = this.state.view;
    return this.update(patch);
  }

  lessonContext() {
    const items = this.data.model?.suite?.items ?? [];
    return {
      model: this.data.model,
      timeline: this.data.timelines[this.data.model?.id] ?? null,
      item: (kind, split) => items.find((it) => it.kind === kind && (!split || it.split === split))?.id ?? null,
    };
  }

  // A shipped model's training timeline (null: it has none), kept in data.timelines once read.
  async timelineOf(id) {
    const timeline = await this.registry.timeline(this.registry.entry(id));
    if (timeline && this.data.timelines[id] !== timeline) {
      this.data.timelines[id] = timeline;
      this.scheduleRender();
    }
    return timeline;
  }

  // --- rendering -----------------------------------------------------------------

  viewData() {
    const names = new Map();
    for (const r of [this.data.clean, this.data.ablated]) for (const t of r?.top ?? []) if (typeof t.token === 'string') names.set(t.id, t.token);
    const answer = this.data.prompt?.item?.answer;
    if (this.data.answerId >= 0 && answer) names.set(this.data.answerId, answer);
    const vocab = this.data.model?.vocab;
    return { ...this.data, state: this.state, manifest: this.manifest, ablations: this.state.interventions, report: this.reports.current,
      threading: this.pool.threading,
      tokenOf: (id) => names.get(id) ?? vocab?.get(id) ?? `#${id}` };
  }

  mount() {
    renderTabs(document.getElementById('tabs'), VIEWS, this.state.view, (id) => this.update({ view: id }));
    this.controller = mountView(document.getElementById('view'), this.currentView(), this.actions);
  }

  render() {
    if (document.getElementById('view').dataset.view !== this.currentView().id) this.mount();
    const data = this.viewData();
    this.controller.update(data);
    renderSummary(document.getElementById('summary'), data);
    this.notices.render();
    this.reportBar.update(data);
    // A new lesson step redraws the panel's buttons: keep the keyboard on the one pressed.
    const focusedId = document.getElementById('lesson').contains(document.activeElement) ? document.activeElement.id : null;
    this.lessonPanel.update(data, lessonById(this.state.lesson));
    if (focusedId && !document.getElementById('lesson').contains(document.activeElement)) {
      (document.getElementById(focusedId) ?? document.getElementById('lesson-next') ?? document.getElementById('lesson-end'))?.focus();
    }
    if (data.clean && !this.marked) {
      this.marked = true;
      performance.mark('strata:first-prediction');
      this.pool.analyses();  // starts the full engine now, so that the first analysis does not wait for it
    }
  }
}

// The stages of the first prediction, as performance marks (scripts/bench.sh reads them).
function markFirst(name) {
  if (!performance.getEntriesByName(name).length) performance.mark(name);
}
