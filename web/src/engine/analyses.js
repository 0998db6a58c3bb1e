// Named analyses (the engine's `analyze`) through the worker pool. Each is
// described by its entry in the engine's own list (engine.listAnalyses(), given
// by pool.analyses()): {name, needs_suite, reads_items, sweep, …}.
//
// A sweep (one unit per component or layer × position) is split into one
// shard per worker with the setting "shard": [index, count] — a shard computes
// the units with unit % count == index — and the shards' "units" are
// concatenated and sorted by unit, which gives exactly the unsplit result.
// Progress is the mean of the shards'.

// An analysis that reads the suite's items takes "answered": "all" to keep the
// items the model answers wrong (docs/methods.md, "Items"): always when it
// needs the suite, else only when it runs over the suite (not for one prompt or item).
export function keepingAnsweredWrong(analysis, settings) {
  const focused = 'item' in settings || 'prompt' in settings;
  return analysis.reads_items && (analysis.needs_suite || !focused) ? { ...settings, answered: 'all' } : settings;
}

// onProgress(fraction, stage) is called as the workers report; an aborted
// signal cancels every shard (pool.js).
export async function runAnalysis(pool, key, analysis, { settings = {}, seed = 0 } = {}, onProgress = null, signal = null) {
  const { name } = analysis;
  const count = analysis.sweep ? Math.max(1, pool.size) : 1;
  if (count === 1) {
    const { result } = await pool.analyze(key, name, { settings, seed }, onProgress, signal);
    return result;
  }
  const fractions = new Array(count).fill(0);
  const parts = await Promise.all(Array.from({ length: count }, (_, index) => pool.analyze(
    key, name, { settings: { ...settings, shard: [index, count] }, seed },
    (fraction, stage) => {
      fractions[index] = fraction;
      onProgress?.(fractions.reduce((a, b) => a + b, 0) / count, stage);
    },
    signal,
  )));
  return mergeShards(parts.map((p) => p.result));
}

export function mergeShards(results) {
  const merged = { ...results[0] };
  merged.units = results.flatMap((r) => r.units ?? []).sort((a, b) => a.unit - b.unit);
  if (merged.settings && typeof merged.settings === 'object') {
    merged.settings = { ...merged.settings };
    delete merged.settings.shard;
  }
  delete merged.shard;
  return merged;
}
