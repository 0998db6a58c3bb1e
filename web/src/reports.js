// Reports in the page. "Save report" writes exactly the analyses on screen, with
// the settings (item, seed, …) they were computed with; "Open report" shows a
// report's results without computing anything, but only while the model it was
// made with (same weights SHA-256) is loaded: opening it switches to that model
// when the page has it, and switching to another model closes it with a notice.
import { download } from './charts/export.js';
import { VIEWS } from './views/index.js';

const MAX_REPORT_BYTES = 256 * 1024 * 1024;

export class ReportSession {
  constructor(app) {
    this.app = app;
    this.current = null;  // {name, text, date, report}
  }

  async open(file) {
    const app = this.app;
    try {
      if (file.size > MAX_REPORT_BYTES) throw new Error(`${file.name} is ${(file.size / 1024 ** 2).toFixed(0)} MB; reports up to 256 MB can be opened`);
      const text = await file.text();
      const { report } = await app.pool.parseReport(text);
      const owner = report.model ?? {};
      const loaded = app.data.model;
      const sameModel = loaded && owner.weights_sha256 === loaded.info.weights_sha256;
      const known = app.registry.get(owner.id) ?? app.registry.entry(owner.id);
      const loadedOwner = app.registry.get(owner.id);
      if (!sameModel && loadedOwner && loadedOwner.info.weights_sha256 !== owner.weights_sha256) {
        throw new Error(`it was made with weights SHA-256 ${short(owner.weights_sha256)}, and this page's ${owner.id} has ${short(loadedOwner.info.weights_sha256)}`);
      }
      if (!sameModel && !known) {
        throw new Error(`it holds results of the model ${owner.id} (weights SHA-256 ${short(owner.weights_sha256)}), which is not open here; open that model first`);
      }
      this.current = { name: file.name, text, date: Number.isFinite(file.lastModified) ? new Date(file.lastModified) : null, report };
      app.notices.withdraw('report');
      app.notify(`Showing the report ${file.name}: ${report.analyses.join(', ')} of the model ${owner.id}, seed ${report.seed}. Nothing is recomputed while it is open.`, 'info', 'report');
      const views = report.analyses.map((n) => VIEWS.find((v) => v.analyses?.includes(n))).filter(Boolean);
      const view = views.find((v) => v.id === app.state.view) ?? views[0];
      const patch = view ? { view: view.id } : {};
      if (!sameModel) {
        app.choice++;
        app.registry.cancelPendingExcept(owner.id);
        Object.assign(patch, app.store.perModelReset().patch, { model: owner.id });
      }
      await app.update(patch);
    } catch (error) {
      app.notify(`The report ${file.name} could not be opened: ${error.message}`, 'error', 'report-error');
    }
  }

  // Called on every refresh: a report is shown only with the model it was made with.
  checkBinding(model) {
    const r = this.current?.report;
    if (!r || (model && model.info.weights_sha256 === r.model?.weights_sha256)) return;
    const name = this.current.name;
    this.current = null;
    this.app.notices.withdraw('report');
    this.app.notify(`The report ${name} was closed: it holds results of ${r.model?.id} (weights SHA-256 ${short(r.model?.weights_sha256)}), `
      + `and the model now loaded is ${model ? `${model.id} (weights SHA-256 ${short(model.info.weights_sha256)})` : 'none'}.`, 'info', 'switch');
  }

  close() {
    this.current = null;
    this.app.notices.withdraw('report');
    return this.app.refresh();
  }

  // The analyses on screen, each with the settings, seed and result it was computed with.
  onScreen() {
    const names = [];
    const settings = {};
    const results = {};
    let seed = this.app.state.seed;
    for (const entry of Object.values(this.app.data.analyses ?? {})) {
      if (entry.status === 'running') throw new Error(`"${entry.name}" is still running; save once it is on screen`);
      if (entry.status !== 'done') continue;
      if (names.includes(entry.name) && JSON.stringify(settings[entry.name]) !== JSON.stringify(entry.settings)) {
        throw new Error(`this view shows "${entry.name}" with two settings, and a report holds one per analysis`);
      }
      if (!names.includes(entry.name)) names.push(entry.name);
      settings[entry.name] = entry.settings;
      results[entry.name] = entry.result;
      seed = entry.seed ?? seed;
    }
    return { names, settings, seed, results };
  }

  async save() {
    const app = this.app;
    const model = app.data.model;
    if (!model) return app.notify('Open a model before saving a report.', 'error');
    if (this.current) {
      download(this.current.name, new Blob([this.current.text], { type: 'application/json' }));
      return undefined;
    }
    let onScreen;
    try {
      onScreen = this.onScreen();
    } catch (error) {
      return app.notify(`The report could not be written: ${error.message}.`, 'warning');
    }
    const { names, settings, seed, results } = onScreen;
    if (!names.length) return app.notify('This view shows no analysis to save: open an analysis view, wait for its charts, then save its report.', 'warning');
    app.reportBar.busy(`Writing a report of ${names.join(', ')}…`);
    try {
      // The results on screen are written as they are: nothing is computed again.
      const { report } = await app.pool.report(model.key, { analyses: names, settings, seed, model_id: model.id, results });
      download(`strata-report-${model.id.slice(0, 40)}.json`, new Blob([report], { type: 'application/json' }));
    } catch (error) {
      app.notify(`The report could not be written: ${error.message}`, 'error');
    } finally {
      app.reportBar.busy(null);
    }
    return undefined;
  }
}

export function short(sha) {
  return typeof sha === 'string' ? `${sha.slice(0, 12)}…` : 'unknown';
}
