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
    const available = new Map((model.info.analyses ?? []).map((a) => [a.name, a]));
    const analyses = {};
    const previews = {};
    for (const { name, settings: asked, label = name, preview = false } of wanted) {
      const settings = asked && keepWrong && available.has(name) ? keepingAnsweredWrong(available.get(name), asked) : asked;
      if (preview) {
        if (!report && settings && available.has(name)) previews[label] = this.#entry(model, name, settings, seed);
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
      if (!available.has(name)) {
        analyses[label] = { status: 'error', name, error: `This engine build has no "${name}" analysis.` };
        continue;
      }
      analyses[label] = this.#entry(model, name, settings, seed);
    }
    return { analyses, previews };
  }

  #entry(model, name, settings, seed) {
    const key = `${model.key}|${name}|${JSON.stringify(settings)}|${seed}`;
    if (!this.cache.has(key)) this.cache.set(key, this.#launch(model, name, settings, seed));
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

  #launch(model, name, settings, seed) {
    const entry = { status: 'running', name, settings, seed, progress: 0, stage: 'starting', result: null, error: null };
    const started = performance.now();
    const controller = new AbortController();
    entry.cancel = () => controller.abort();
    entry.retry = () => {
      for (const [k, v] of this.cache) if (v === entry) this.cache.delete(k);
      this.onRetry();
    };
    const analysis = model.info.analyses.find((a) => a.name === name);
    entry.promise = runAnalysis(this.pool, model.key, analysis, { settings, seed }, (fraction, stage) => {
      entry.progress = fraction;
      entry.stage = stage;
      this.onChange();
    }, controller.signal).then((result) => {
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
