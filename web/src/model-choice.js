// Which model is on screen: one chosen in the menu, dropped in as files or
// opened from the Hugging Face Hub. The latest choice always wins: loads it
// supersedes are cancelled, and what belonged to the previous model (ablations,
// selection) is cleared with a notice saying so.
import { ModelRegistry, SupersededError } from './models/registry.js';
import { fetchHubModel, parseHubRef } from './models/hub.js';

const SHA_ID = /^sha256-[0-9a-f]{64}$/;

export class ModelChoice {
  constructor(app) {
    this.app = app;
    this.choice = 0;  // counts choices: a load finishing after a later choice is dropped
  }

  // A model chosen in the menu: the latest choice wins (loads still running are
  // cancelled), and what belonged to the previous model is cleared, with a notice.
  choose(id) {
    const { app } = this;
    if (id === app.data.model?.id && id === app.state.model) return app.refresh();
    this.choice++;
    this.stopHubDownload();
    app.registry.cancelPendingExcept(id);
    app.data.modelError = null;
    const { patch, cleared } = app.store.perModelReset();
    const from = app.data.model?.id;
    if (cleared && from) app.notify(`Switching from ${from} to ${id} cleared ${cleared}: they belong to ${from}.`, 'info', 'switch');
    return app.update({ ...patch, model: id });
  }

  // A training checkpoint of the model on screen (null: its final weights). The
  // ablations and the selection stay: every checkpoint has the same shape.
  chooseCheckpoint(step) {
    const { app } = this;
    this.choice++;
    app.registry.cancelPendingExcept(ModelRegistry.ref(app.state.model, step));
    return app.update({ checkpoint: step });
  }

  async ensure() {
    const { app } = this;
    const wanted = app.state.model ?? app.manifest[0]?.id ?? null;
    const step = app.state.checkpoint;
    if (app.data.model?.id === wanted && (app.data.model.checkpoint ?? null) === step) return;
    if (wanted === null) {
      app.data.model = null;
      return;
    }
    const known = app.registry.get(wanted, step);
    if (known) {
      this.ready(known);
      return;
    }
    const entry = app.registry.entry(wanted);
    if (!entry) {
      if (SHA_ID.test(wanted)) {
        app.data.model = null;
        app.data.modelError = app.state.hub ? `This link opens ${app.state.hub} from the Hugging Face Hub: press "Open from the Hub" in the Model & prompt view (nothing is fetched until you do).`
          : `This link uses a model that was opened from files (weights SHA-256 ${wanted.slice(7, 19)}…). Drop the same files in the Model & prompt view to open it.`;
        app.notify(app.data.modelError, 'warning', 'model');
        return;
      }
      app.notify(`The link's model "${wanted}" is not one of this page's models; the first one is shown instead.`, 'warning', 'model');
      app.state.model = app.manifest[0]?.id ?? null;
      app.writeHash();
      return this.ensure();
    }
    if (step !== null && typeof entry.timeline !== 'string') {
      app.notify(`${entry.id} has no training checkpoints; its final weights are shown.`, 'warning', 'link');
      app.state.checkpoint = null;
      app.writeHash();
      return this.ensure();
    }
    const loading = step === null ? `Loading ${entry.id}…` : `Loading ${entry.id} at training step ${step}…`;
    const stillWanted = () => (app.state.model ?? app.manifest[0]?.id) === entry.id && app.state.checkpoint === step;
    app.data.loading = loading;
    app.render();
    try {
      const model = await app.registry.loadShipped(entry, step);
      if (stillWanted()) this.ready(model);
    } catch (error) {
      if (error instanceof SupersededError || !stillWanted()) return;
      if (step !== null) {  // a checkpoint that cannot be opened: say so, and show the final weights
        app.notify(`Could not open ${entry.id} at training step ${step}: ${error.message}. Its final weights are shown.`, 'warning', 'link');
        app.state.checkpoint = null;
        app.writeHash();
        return this.ensure();
      }
      app.data.model = null;
      app.data.modelError = `Could not open the model "${entry.id}": ${error.message}`;
    } finally {
      if (app.data.loading === loading) app.data.loading = null;
    }
    return undefined;
  }

  ready(model) {
    const { app } = this;
    app.data.model = model;
    app.data.modelError = null;
    app.notices.withdraw('model');
  }

  // A model from the Hugging Face Hub (models/hub.js), fetched only on this click;
  // the link's file hashes are checked when it names this same model.
  openHub(text) {
    const { app } = this;
    let ref;
    try {
      ref = parseHubRef(text);
    } catch (error) {
      app.data.modelError = `Could not open from the Hub: ${error.message}.`;
      return app.render();
    }
    const name = `${ref.repo}@${ref.revision}`;
    const hub = { name, controller: new AbortController(), progress: null };
    const read = () => fetchHubModel(ref, { expected: app.state.hub === name ? app.state.hubFiles : null, signal: hub.controller.signal,
      onProgress: (p) => { hub.progress = p; app.scheduleRender(); } });
    return this.openFiles(null, hub, read);
  }

  // A Hub download still running when another model is chosen is stopped (its
  // connection closed), and its progress bar goes with it.
  stopHubDownload() {
    const { app } = this;
    const running = app.data.hub;
    app.data.hub = null;
    running?.controller.abort();
  }

  async openFiles(fileList, hub = null, read = undefined) {
    const { app } = this;
    const choice = ++this.choice;
    this.stopHubDownload();
    app.data.hub = hub;
    const isCurrent = () => choice === this.choice;
    app.registry.cancelPendingExcept(null);
    app.data.loading = 'Reading the files…';
    app.data.modelError = null;
    app.render();
    try {
      const model = await app.registry.openDropped(fileList, isCurrent, (stage) => {
        app.data.loading = stage;
        app.render();
      }, read);
      app.data.loading = null;
      if (hub) Object.assign(model, { hub: hub.name, name: `${hub.name} (Hugging Face Hub, weights SHA-256 ${String(model.info.weights_sha256).slice(0, 12)}…)` });
      const { patch, cleared } = app.store.perModelReset();
      const from = app.data.model?.id;
      if (cleared && from && from !== model.id) app.notify(`Opening your model cleared ${cleared}: they belong to ${from}.`, 'info', 'switch');
      if (model.suiteNote) app.notify(model.suiteNote.text, model.suiteNote.kind, 'suite');
      await app.update({ ...patch, model: model.id, ...(hub && { hub: hub.name, hubFiles: model.hashes }) });
    } catch (error) {
      if (error instanceof SupersededError) {
        app.notify(hub ? `${hub.name} was not opened from the Hub: another model was chosen while it loaded.`
          : 'The dropped model was not opened: another model was chosen while it loaded.', 'info', 'switch');
        return;
      }
      if (!isCurrent()) return;
      app.data.loading = null;
      if (hub?.controller.signal.aborted) app.notify(`The download of ${hub.name} was cancelled.`, 'info', 'model');
      else app.data.modelError = hub ? `Could not open ${hub.name} from the Hub: ${error.message}.` : `Could not open the dropped model: ${error.message}`;
      app.render();
    } finally {
      if (hub && app.data.hub === hub) {
        app.data.hub = null;
        app.scheduleRender();
      }
    }
  }
}
