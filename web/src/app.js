// The page's controller: state from the URL hash → models and prompts → engine
// runs → data for the current view. The only module that touches `location`, and
// (through the pool) the engine; views receive plain data and callbacks.
import { EnginePool } from './engine/pool.js';
import { HookTable } from './engine/hooks.js';
import { fetchManifest, fetchShippedModel, readDroppedFiles } from './models/sources.js';
import { fitAblations, formatInterventions, toEngine, toggleAblation } from './state/interventions.js';
import { formatHash, parseHash } from './state/url-state.js';
import { clear, el, percent, tokenLabel } from './ui/dom.js';
import * as ablationView from './views/ablation.js';
import * as attentionView from './views/attention.js';
import * as modelView from './views/model-prompt.js';

const VIEWS = [modelView, attentionView, ablationView];
const TOP_K = 10;
const MAX_NOTICES = 8;
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
    this.data = { model: null, loading: null, modelError: null, prompt: null, clean: null, ablated: null, runError: null };
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
    };
  }

  async start() {
    this.readHash();
    window.addEventListener('hashchange', () => this.readHash() || this.refresh());
    document.getElementById('copy-link').addEventListener('click', () => this.copyLink());
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
        const model = { id: entry.id, key: entry.id, name: entry.id, source: 'shipped', info, suite: files.suite, hooks: new HookTable(info.hooks ?? []) };
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
      const model = { id, key, name: `Your model (${info.model_type}, weights SHA-256 ${String(info.weights_sha256).slice(0, 12)}…)`, source: 'dropped', info, suite: files.suite, hooks: new HookTable(info.hooks ?? []) };
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
    } catch (error) {
      if (gen !== this.generation) return;
      this.data.runError = error.message;
    }
    this.render();
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
    return { ...this.data, state: this.state, manifest: this.manifest, ablations: this.state.interventions, tokenOf: (id) => names.get(id) ?? `#${id}` };
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
  const last = result.logits.data.subarray((T - 1) * V, T * V);
  let max = -Infinity;
  for (const x of last) if (x > max) max = x;
  const probs = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += (probs[i] = Math.exp(last[i] - max));
  for (let i = 0; i < V; i++) probs[i] /= z;
  const { n_layers: nLayers, n_heads: nHeads } = model.info;
  const names = model.hooks.all('attn.hook_pattern');
  const patterns = names.length === nLayers && names.every((n) => result.captures[n]) ? {
    nLayers, nHeads, T,
    get: (l, h) => result.captures[names[l]].data.subarray(h * T * T, (h + 1) * T * T),
  } : null;
  return { top: result.topK, probs, patterns };
}
