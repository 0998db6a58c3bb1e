// The analyses a view asks for: each one computed once per model, analysis,
// settings and seed on the worker pool (a cache of entries the views read their
// status, progress and result from), or taken from an open report. An engine
// error ({ok: false, error}) becomes the entry's error, which the view shows.
//
// A request may be marked `preview`: a quicker part of the request of the same
// label (fewer levels, no controls), queued ahead of it so that a view that
// waits on a whole-suite analysis can draw something at once. Previews are
// kept apart from the analyses (never saved in a report, never taken from one).
//
// A running entry can be cancelled (entry.cancel()): it stays in the cache as
// 'cancelled', so the view does not start it again by itself, until the user
// asks for it once more (entry.retry()).
import { keepingAnsweredWrong, runAnalysis } from './analyses.js';
import { CancelledError } from './pool.js';

const MAX_CACHED_ANALYSES = 48;

export class AnalysisScheduler {
  // onChange: an entry's progress or status changed; onRetry: a cancelled entry
  // was asked for again (the caller asks for the view's analyses anew).
  constructor(pool, onChange, onRetry = onChange) {
    this.pool = pool;
    this.onChange = onChange;
    this.onRetry = onRetry;
    this.cache = new Map();
  }

  // wanted: [{name, settings, label, preview}] from a view's requests(); report:
  // the open report bound to this model, or null; keepWrong: the analyses keep
  // the items the model answers wrong. -> {analyses: {label: entry},
  // previews: {label: entry}}, previews only while computing (no report).
  entries(model, wanted, { seed, report, keepWrong = false }) {
    const analyses = {};
    const previews = {};
    for (const { name, settings, label = name, preview = false } of wanted) {
      if (preview) {
        if (!report && settings) previews[label] = this.#entry(model, name, settings, { seed, keepWrong });
        continue;
      }
      if (report) {
        const result = report.results?.[name];
        analyses[label] = result ? { status: 'done', name, result, fromReport: true, settings: report.settings?.[name] }
          : { status: 'error', name, error: `The open report has no "${name}" analysis.` };
        continue;
      }
      if (!settings) {
        analyses[label] = { status: 'waiting', name };
        continue;
      }
      analyses[label] = this.#entry(model, name, settings, { seed, keepWrong });
    }
    return { analyses, previews };
  }

  #entry(model, name, settings, options) {
    const key = `${model.key}|${name}|${JSON.stringify(settings)}|${options.keepWrong}|${options.seed}`;
    if (!this.cache.has(key)) this.cache.set(key, this.#launch(model, name, settings, options));
    const entry = this.cache.get(key);
    this.#trim();
    return entry;
  }

  forget(modelKey) {
    for (const [key, entry] of [...this.cache]) if (key.startsWith(`${modelKey}|`) && entry.status !== 'running') this.cache.delete(key);
  }

  #trim() {
    if (this.cache.size <= MAX_CACHED_ANALYSES) return;
    const [oldKey, old] = this.cache.entries().next().value;
    if (old.status !== 'running') this.cache.delete(oldKey);
  }

  // The analysis is looked up in the engine's list (pool.analyses()), which the
  // first full engine instance gives: the page's first prediction may run on
  // the prediction-only module, so the list can arrive after the request.
  #launch(model, name, asked, { seed, keepWrong }) {
    const entry = { status: 'running', name, settings: asked, seed, progress: 0, stage: 'starting', result: null, error: null };
    const started = performance.now();
    const controller = new AbortController();
    entry.cancel = () => controller.abort();
    entry.retry = () => {
      for (const [k, v] of this.cache) if (v === entry) this.cache.delete(k);
      this.onRetry();
    };
    entry.promise = this.pool.analyses().then((list) => {
      const analysis = list.find((a) => a.name === name);
      if (!analysis) throw new Error(`This engine build has no "${name}" analysis.`);
      entry.settings = keepWrong ? keepingAnsweredWrong(analysis, asked) : asked;
      return runAnalysis(this.pool, model.key, analysis, { settings: entry.settings, seed }, (fraction, stage) => {
        entry.progress = fraction;
        entry.stage = stage;
        this.onChange();
      }, controller.signal);
    }).then((result) => {
      Object.assign(entry, { status: 'done', result, progress: 1, ms: performance.now() - started });
    }, (error) => {
      if (error instanceof CancelledError) {
        entry.status = 'cancelled';
        return;
      }
      Object.assign(entry, { status: 'error', error: error.message });
      for (const [k, v] of this.cache) if (v === entry) this.cache.delete(k);
    }).finally(() => this.onChange());
    return entry;
  }
}
