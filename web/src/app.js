// The page's controller: it wires the state store (URL and history), the model
// registry, the run service and the analysis scheduler to the views, and owns
// the notices and the open report. Views receive plain data and callbacks.
import { AnalysisScheduler } from './engine/analysis-scheduler.js';
import { EnginePool } from './engine/pool.js';
import { OrtBackend } from './engine/ort-backend.js';
import { RunService, maxAbsDifference, summariseOnnx } from './engine/run-service.js';
import { lessonById } from './lessons/index.js';
import { ModelRegistry, SupersededError } from './models/registry.js';
import { fetchCard, fetchOnnx } from './models/sources.js';
import { fetchHubModel, parseHubRef } from './models/hub.js';
import { fitAblations, formatInterventions, toEngine, toggleAblation } from './state/interventions.js';
import { StateStore, copyLink } from './state/store.js';
import { Notices } from './ui/notices.js';
import { lessonPanel } from './ui/lesson-panel.js';
import { reportBar } from './ui/report-bar.js';
import { renderSummary } from './ui/summary.js';
import { renderTabs } from './ui/tabs.js';
import { ReportSession } from './reports.js';
import { VIEWS, mountView } from './views/index.js';

const SHA_ID = /^sha256-[0-9a-f]{64}$/;

export class App {
  constructor(root) {
    this.root = root;
    this.base = document.baseURI;
    this.pool = new EnginePool({ engineUrl: new URL('engine/strata-engine.js', this.base).href });
    this.pool.onEvent((e) => this.notify(e.message, 'error'));
    this.store = new StateStore();
    this.registry = new ModelRegistry(this.pool, this.base);
    this.runs = new RunService(this.pool);
    this.scheduler = new AnalysisScheduler(this.pool, () => this.scheduleRender(), () => this.data.model && this.startAnalyses(this.data.model));
    this.notices = new Notices(document.getElementById('notices'));
    this.reports = new ReportSession(this);
    this.generation = 0;
    this.choice = 0;
    this.marked = false;
    this.ort = new OrtBackend();
    this.renderQueued = false;
    this.data = { model: null, loading: null, modelError: null, prompt: null, clean: null, ablated: null, runError: null, parity: null, analyses: {}, previews: {} };
    this.actions = {
      set: (patch) => this.update(patch),
      selectModel: (id) => this.chooseModel(id),
      setPrompt: (text) => this.update({ prompt: text.slice(0, 2000), item: null }),
      selectItem: (id) => this.update({ item: id, prompt: null }),
      toggleAblation: (a) => this.update({ interventions: toggleAblation(this.state.interventions, a) }),
      openFiles: (files) => this.openFiles(files),
      openHub: (text) => this.openHub(text),
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

  // --- models --------------------------------------------------------------------

  // A model chosen in the menu: the latest choice wins (loads still running are
  // cancelled), and what belonged to the previous model is cleared, with a notice.
  chooseModel(id) {
    if (id === this.data.model?.id && id === this.state.model) return this.refresh();
    this.choice++;
    this.stopHubDownload();
    this.registry.cancelPendingExcept(id);
    this.data.modelError = null;
    const { patch, cleared } = this.store.perModelReset();
    const from = this.data.model?.id;
    if (cleared && from) this.notify(`Switching from ${from} to ${id} cleared ${cleared}: they belong to ${from}.`, 'info', 'switch');
    return this.update({ ...patch, model: id });
  }

  async ensureModel() {
    const wanted = this.state.model ?? this.manifest[0]?.id ?? null;
    if (this.data.model?.id === wanted) return;
    if (wanted === null) {
      this.data.model = null;
      return;
    }
    const known = this.registry.get(wanted);
    if (known) {
      this.modelReady(known);
      return;
    }
    const entry = this.registry.entry(wanted);
    if (!entry) {
      if (SHA_ID.test(wanted)) {
        this.data.model = null;
        this.data.modelError = this.state.hub ? `This link opens ${this.state.hub} from the Hugging Face Hub: press "Open from the Hub" in the Model & prompt view (nothing is fetched until you do).`
          : `This link uses a model that was opened from files (weights SHA-256 ${wanted.slice(7, 19)}…). Drop the same files in the Model & prompt view to open it.`;
        this.notify(this.data.modelError, 'warning', 'model');
        return;
      }
      this.notify(`The link's model "${wanted}" is not one of this page's models; the first one is shown instead.`, 'warning', 'model');
      this.state.model = this.manifest[0]?.id ?? null;
      this.writeHash();
      return this.ensureModel();
    }
    this.data.loading = `Loading ${entry.id}…`;
    this.render();
    try {
      const model = await this.registry.loadShipped(entry);
      if ((this.state.model ?? this.manifest[0]?.id) === entry.id) this.modelReady(model);
    } catch (error) {
      if (error instanceof SupersededError || (this.state.model ?? this.manifest[0]?.id) !== entry.id) return;
      this.data.model = null;
      this.data.modelError = `Could not open the model "${entry.id}": ${error.message}`;
    } finally {
      if (this.data.loading === `Loading ${entry.id}…`) this.data.loading = null;
    }
  }

  modelReady(model) {
    this.data.model = model;
    this.data.modelError = null;
    this.notices.withdraw('model');
  }

  // A model from the Hugging Face Hub (models/hub.js), fetched only on this click;
  // the link's file hashes are checked when it names this same model.
  openHub(text) {
    let ref;
    try {
      ref = parseHubRef(text);
    } catch (error) {
      this.data.modelError = `Could not open from the Hub: ${error.message}.`;
      return this.render();
    }
    const name = `${ref.repo}@${ref.revision}`;
    const hub = { name, controller: new AbortController(), progress: null };
    const read = () => fetchHubModel(ref, { expected: this.state.hub === name ? this.state.hubFiles : null, signal: hub.controller.signal,
      onProgress: (p) => { hub.progress = p; this.scheduleRender(); } });
    return this.openFiles(null, hub, read);
  }

  // A Hub download still running when another model is chosen is stopped (its
  // connection closed), and its progress bar goes with it.
  stopHubDownload() {
    const running = this.data.hub;
    this.data.hub = null;
    running?.controller.abort();
  }

  async openFiles(fileList, hub = null, read = undefined) {
    const choice = ++this.choice;
    this.stopHubDownload();
    this.data.hub = hub;
    const isCurrent = () => choice === this.choice;
    this.registry.cancelPendingExcept(null);
    this.data.loading = 'Reading the files…';
    this.data.modelError = null;
    this.render();
    try {
      const model = await this.registry.openDropped(fileList, isCurrent, (stage) => {
        this.data.loading = stage;
        this.render();
      }, read);
      this.data.loading = null;
      if (hub) Object.assign(model, { hub: hub.name, name: `${hub.name} (Hugging Face Hub, weights SHA-256 ${String(model.info.weights_sha256).slice(0, 12)}…)` });
      const { patch, cleared } = this.store.perModelReset();
      const from = this.data.model?.id;
      if (cleared && from && from !== model.id) this.notify(`Opening your model cleared ${cleared}: they belong to ${from}.`, 'info', 'switch');
      if (model.suiteNote) this.notify(model.suiteNote.text, model.suiteNote.kind, 'suite');
      await this.update({ ...patch, model: model.id, ...(hub && { hub: hub.name, hubFiles: model.hashes }) });
    } catch (error) {
      if (error instanceof SupersededError) {
        this.notify(hub ? `${hub.name} was not opened from the Hub: another model was chosen while it loaded.`
          : 'The dropped model was not opened: another model was chosen while it loaded.', 'info', 'switch');
        return;
      }
      if (!isCurrent()) return;
      this.data.loading = null;
      if (hub?.controller.signal.aborted) this.notify(`The download of ${hub.name} was cancelled.`, 'info', 'model');
      else this.data.modelError = hub ? `Could not open ${hub.name} from the Hub: ${error.message}.` : `Could not open the dropped model: ${error.message}`;
      this.render();
    } finally {
      if (hub && this.data.hub === hub) {
        this.data.hub = null;
        this.scheduleRender();
      }
    }
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
    await this.ensureModel();
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
      if (!ids.length) throw new Error('The prompt has no tokens.');
      if (ids.length > model.info.n_ctx) throw new Error(`The prompt has ${ids.length} tokens; this model reads at most ${model.info.n_ctx}.`);
      this.data.prompt = { text, item, tokens, ids };
      const ablations = this.state.interventions;
      const [clean, ablated, answerId] = await Promise.all([
        this.runs.run(model, ids, { capture: model.hooks.all('attn.hook_pattern'), interventions: [], what: '' }),
        ablations.length ? this.runs.run(model, ids, { capture: [], interventions: toEngine(ablations, model.info.ablation_units), what: `with the ablations ${formatInterventions(ablations)}` }) : null,
        this.runs.answerId(model, item),
      ]);
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

  // --- rendering -----------------------------------------------------------------

  viewData() {
    const names = new Map();
    for (const r of [this.data.clean, this.data.ablated]) for (const t of r?.top ?? []) if (typeof t.token === 'string') names.set(t.id, t.token);
    const answer = this.data.prompt?.item?.answer;
    if (this.data.answerId >= 0 && answer) names.set(this.data.answerId, answer);
    const vocab = this.data.model?.vocab;
    return { ...this.data, state: this.state, manifest: this.manifest, ablations: this.state.interventions, report: this.reports.current,
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
    }
  }
}

