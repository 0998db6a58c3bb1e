// `strata analyze` and the wasm engine's analyses: the report the page makes
// is the report the command line writes for the same inputs, every report is
// reproducible byte for byte, and bad input is one line naming it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { settingsMarkdown } from '../../scripts/settings-doc.mjs';
import { loadEngineModule, readModelFiles, root, strata } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'strata-analyze-'));
const Module = await loadEngineModule();

// Small settings so that every analysis runs in seconds; the same for both builds.
// The tuned lens's KL fit takes 20 Adam steps, not 250: the same code, and each
// float32 step carries the builds' rounding differences on (after 250 steps one
// held-out KL differed by 1.1e-5 of its size).
const settings = {
  'logit-lens': { items_per_kind: 4 },
  'tuned-lens': { items_per_kind: 6, steps: 20 },
  'attention-flow': { items_per_kind: 2 },
  attribution: { items_per_kind: 4 },
  'head-scores': { n_sequences: 2 },
  ablation: { items_per_kind: 2, levels: ['layer', 'head'] },
  patching: { items_per_kind: 2, levels: ['resid', 'head'] },
  'causal-tracing': { items_per_kind: 2, samples: 1 },
  circuits: {
    selection_items_per_kind: 3, validation_items_per_kind: 3, test_items_per_kind: 4, null_items_per_kind: 3,
    max_size: 2, random_circuits: 20, bootstrap_samples: 100,
  },
  study: { items_per_kind: 10 },
  neurons: { items_per_kind: 10 },
  probes: { items_per_kind: 10, iterations: 50 },
};
const analyses = Object.keys(settings);

function writeJson(name, value) {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

// Runs `strata analyze` on a shipped model; returns {status, stderr, text?}.
function analyze(model, extra) {
  const out = join(tmp, `${model}-${Math.random().toString(36).slice(2)}.json`);
  const dir = join(root, 'models', model);
  const r = strata('analyze', '--model', dir, '--suite', join(dir, 'suite.json'), '--out', out, ...extra);
  return { ...r, text: r.status === 0 ? readFileSync(out, 'utf8') : undefined };
}

function withEngine(model, body) {
  const dir = join(root, 'models', model);
  const files = readModelFiles(dir);
  const engine = new Module.Engine();
  try {
    const loaded = engine.load(files.config, files.weights, files.tokenizer);
    assert.ok(loaded.ok, loaded.error);
    const suite = engine.loadSuite(readFileSync(join(dir, 'suite.json'), 'utf8'));
    assert.ok(suite.ok, suite.error);
    return body(engine, JSON.parse(suite.summary));
  } finally {
    engine.delete();
  }
}

// The p-values of the study's Mann–Whitney tests. Their tie correction counts
// features that are exactly equal, and two items' features that tie in one
// build can differ in the last bit in the other: U (the ranks) agrees, the
// p-value moves by the tie term (2e-5 seen on the first world's LLaMA model).
const rankTestP = /^\/results\/(study|neurons)\/.*\/(p|p_bh|p_bonferroni)$/;
// The circuits' effects, drops and contrast are in points (100 × a fraction):
// 1e-5 of their 0-100 scale is the 1e-5 every fraction gets.
const circuitPoints = /^\/results\/circuits\/(?!settings|method|chance|.*\/accuracy\/)/;

// Same structure (keys, lengths, types) and every number within 1e-5, relative
// to the number's size above 1 (above 100 for the circuits' points; rank-test
// p-values within 1e-3); returns the
// largest difference seen.
function assertClose(a, b, path = '') {
  if (typeof a === 'number' && typeof b === 'number') {
    const diff = Math.abs(a - b);
    const scale = circuitPoints.test(path) ? 100 : 1;
    const tolerance = rankTestP.test(path) ? 1e-3 : 1e-5 * Math.max(scale, Math.abs(a), Math.abs(b));
    assert.ok(diff <= tolerance, `${path}: ${a} vs ${b}`);
    return rankTestP.test(path) ? 0 : diff;
  }
  assert.equal(typeof a, typeof b, `${path}: ${typeof a} vs ${typeof b}`);
  if (a === null || typeof a !== 'object') {
    assert.equal(a, b, path);
    return 0;
  }
  assert.equal(Array.isArray(a), Array.isArray(b), `${path}: array vs object`);
  const keys = Object.keys(a);
  assert.deepEqual(keys, Object.keys(b), `${path}: keys`);
  let max = 0;
  for (const k of keys) max = Math.max(max, assertClose(a[k], b[k], `${path}/${k}`));
  return max;
}

for (const model of ['tiny-gpt2-world2', 'tiny-llama-world2']) {
  test(`${model}: the wasm engine's report is the native command line's report`, () => {
    const native = analyze(model, ['--analysis', analyses.join(','), '--settings', writeJson('settings.json', settings),
      '--seed', '11']);
    assert.equal(native.status, 0, native.stderr);
    const nativeReport = JSON.parse(native.text);
    withEngine(model, (engine, summary) => {
      assert.equal(summary.sha256, nativeReport.suite.sha256);
      const r = engine.report(JSON.stringify({ analyses, settings, seed: 11, model_id: model }));
      assert.ok(r.ok, r.error);
      const wasmReport = JSON.parse(r.report);
      assert.deepEqual(wasmReport.analyses, analyses);
      const diff = assertClose(wasmReport, nativeReport);
      console.log(`${model}: wasm vs native report, max |difference| = ${diff.toExponential(2)}`);
      // The wasm build is itself reproducible to the byte.
      assert.equal(engine.report(JSON.stringify({ analyses, settings, seed: 11, model_id: model })).report, r.report);
    });
  });
}

test('engine.analyze gives the result a report stores, with progress', () => {
  withEngine('tiny-gpt2-world2', (engine) => {
    const request = JSON.stringify({ settings: settings['logit-lens'], seed: 3 });
    const fractions = [];
    const r = engine.analyze('logit-lens', request, (fraction, stage) => {
      assert.equal(typeof stage, 'string');
      fractions.push(fraction);
    });
    assert.ok(r.ok, r.error);
    assert.ok(fractions.length > 0);
    assert.deepEqual(fractions, [...fractions].sort((x, y) => x - y), 'progress only moves forward');
    assert.ok(fractions.every((f) => f >= 0 && f <= 1));
    const report = engine.report(JSON.stringify({ analyses: ['logit-lens'], settings: { 'logit-lens': settings['logit-lens'] },
      seed: 3 }));
    assert.ok(report.ok, report.error);
    assert.deepEqual(JSON.parse(report.report).results['logit-lens'], JSON.parse(r.result));
    assert.equal(engine.analyze('logit-lens', request, null).result, r.result, 'null: no progress, same result');

    // A result handed in (the page's analyses on screen) is written as it is, not run again:
    // the same report, and a result from other settings shows through unchanged.
    const given = (result) => engine.report(JSON.stringify({ analyses: ['logit-lens'], settings: { 'logit-lens': settings['logit-lens'] },
      seed: 3, results: { 'logit-lens': result } }));
    const same = given(JSON.parse(r.result));
    assert.ok(same.ok, same.error);
    assert.deepEqual(JSON.parse(same.report), JSON.parse(report.report));  // bytes differ only in 85 for 85.0
    const other = JSON.parse(engine.analyze('logit-lens', JSON.stringify({ settings: { ...settings['logit-lens'], items_per_kind: 2 }, seed: 3 }), null).result);
    assert.notDeepEqual(other, JSON.parse(r.result));
    assert.deepEqual(JSON.parse(given(other).report).results['logit-lens'], other);
    assert.match(given([1, 2]).error, /^report request: results: logit-lens: expected an object of results/);
  });
});

test('the engine lists the analyses the command line lists', () => {
  const list = JSON.parse(new Module.Engine().listAnalyses());
  const cli = strata('analyze', '--list');
  assert.equal(cli.status, 0, cli.stderr);
  const names = cli.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(list.map((a) => a.name), names);
  for (const name of analyses) assert.ok(names.includes(name), name);
  assert.ok(list.find((a) => a.name === 'tuned-lens').needs_suite);
});

// Each analysis's settings table (src/analysis/settings.h) is the one source of its defaults.
test('the settings tables: listed alike by the engine and the command line, documented in docs/settings.md', () => {
  const list = JSON.parse(new Module.Engine().listAnalyses());
  const cli = strata('analyze', '--list', '--json');
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(list, cli.json);
  for (const a of list) {
    assert.ok(a.settings.length > 0, a.name);
    assert.deepEqual(Object.keys(a.defaults).sort(), a.settings.map((s) => s.name).sort(), a.name);
  }
  assert.equal(readFileSync(join(root, 'docs/settings.md'), 'utf8'), settingsMarkdown(cli.json),
    'docs/settings.md is stale: build/native/strata analyze --list --json | node scripts/settings-doc.mjs > docs/settings.md');
});

// A declared row the runner does not read would be refused as unknown, and a
// default the runner does not use would change the results.
test('every declared default, given explicitly, gives the results the defaults give', () => {
  const list = JSON.parse(new Module.Engine().listAnalyses());
  const explicit = {};
  for (const name of analyses) {
    explicit[name] = {};
    for (const row of list.find((a) => a.name === name).settings)
      if (row.default !== null && row.applies !== 'prompt or item') explicit[name][row.name] = row.default;
    Object.assign(explicit[name], settings[name]);
  }
  withEngine('tiny-gpt2-world2', (engine) => {
    const results = (given) => {
      const r = engine.report(JSON.stringify({ analyses, settings: given, seed: 5 }));
      assert.ok(r.ok, r.error);
      return JSON.stringify(JSON.parse(r.report).results);
    };
    assert.equal(results(explicit), results(settings));
  });
});

// The page sends "answered" only to analyses the list says read the suite's items.
test('"reads_items" in the list says which analyses take the item settings', () => {
  const list = JSON.parse(new Module.Engine().listAnalyses());
  const entry = (name) => list.find((a) => a.name === name);
  assert.ok(list.every((a) => !a.needs_suite || a.reads_items), 'an analysis that needs the suite must read its items');
  assert.equal(entry('logit-lens').reads_items, true);
  assert.equal(entry('head-scores').reads_items, false);
  const lens = analyze('tiny-gpt2-world2', ['--analysis', 'logit-lens', '--settings',
    writeJson('lens-answered.json', { 'logit-lens': { answered: 'all', items_per_kind: 1 } })]);
  assert.equal(lens.status, 0, lens.stderr);
  const scores = analyze('tiny-gpt2-world2', ['--analysis', 'head-scores', '--settings',
    writeJson('scores-answered.json', { 'head-scores': { answered: 'all', n_sequences: 1 } })]);
  assert.notEqual(scores.status, 0);
  assert.match(scores.stderr, /answered/);
});

test('the same seed gives the same bytes; another seed other bytes', () => {
  const args = ['--analysis', 'head-scores,attribution', '--settings',
    writeJson('small.json', { 'head-scores': { n_sequences: 2 }, attribution: { items_per_kind: 1 } })];
  const a = analyze('tiny-gpt2-world2', [...args, '--seed', '5']);
  const b = analyze('tiny-gpt2-world2', [...args, '--seed', '5']);
  const c = analyze('tiny-gpt2-world2', [...args, '--seed', '6']);
  for (const r of [a, b, c]) assert.equal(r.status, 0, r.stderr);
  assert.equal(a.text, b.text);
  assert.notEqual(a.text, c.text);
  const report = JSON.parse(a.text);
  assert.equal(report.format, 'strata-report');
  assert.equal(report.seed, 5);
  assert.match(report.model.weights_sha256, /^[0-9a-f]{64}$/);
  assert.equal(report.model.id, 'tiny-gpt2-world2');
});

test('the engine reopens a native report and refuses a broken one', () => {
  const native = analyze('tiny-gpt2-world2', ['--analysis', 'head-scores', '--seed', '1']);
  assert.equal(native.status, 0, native.stderr);
  const engine = new Module.Engine();
  try {
    const opened = engine.parseReport(native.text);
    assert.ok(opened.ok, opened.error);
    assert.deepEqual(JSON.parse(opened.report), JSON.parse(native.text));
    const broken = engine.parseReport(native.text.replace('"seed":1', '"seed":-1'));
    assert.equal(broken.ok, false);
    assert.match(broken.error, /^report: seed: expected integer in \[0, 9007199254740991\], found -1$/);
    const bad = readFileSync(join(root, 'tests/data/bad/report-analyses-unknown.json'), 'utf8');
    assert.match(engine.parseReport(bad).error, /analyses\[1\]: unknown analysis "mind-reading"/);
    const noModel = engine.report('{}');
    assert.equal(noModel.ok, false);
    assert.match(noModel.error, /no model is loaded/);
  } finally {
    engine.delete();
  }
});

test('the engine names a bad request, analysis or setting', () => {
  withEngine('tiny-gpt2-world2', (engine) => {
    const cases = [
      [engine.analyze('mind-reading', '{}', null), /^analyze: unknown analysis "mind-reading"/],
      [engine.analyze('head-scores', '{"settings": {"period": 99}}', null), /^head-scores\.period: expected an integer/],
      [engine.analyze('head-scores', '{"seed": 1.5}', null), /^analysis request: seed: expected integer/],
      [engine.analyze('head-scores', '{"settings": [', null), /^analysis request: invalid JSON/],
      [engine.analyze('head-scores', '{}', 7), /^onProgress: expected a function or null/],
      [engine.report('{"analyses": ["head-scores"], "settings": {"logit-lens": {}}}'),
        /^report request: settings: logit-lens: given, but logit-lens is not among the analyses to run$/],
      [engine.report('{"analyses": "some"}'), /^report request: analyses: expected "all" or an array/],
      [engine.loadSuite('{"format": "strata-suite"}'), /^suite\.json: /],
    ];
    for (const [r, message] of cases) {
      assert.equal(r.ok, false);
      assert.match(r.error, message);
    }
    // The failed loadSuite unloaded the suite.
    assert.match(engine.analyze('tuned-lens', '{}', null).error, /^tuned-lens: needs a suite/);
  });
});

test('strata analyze: exit status 2 and one line naming the bad option or setting', () => {
  const dir = join(root, 'models', 'tiny-gpt2-world2');
  const out = join(tmp, 'never.json');
  const cases = [
    [['--analysis', 'telepathy'], /^strata analyze: --analysis: unknown analysis "telepathy" \(known: logit-lens,/],
    [['--analysis', 'head-scores', '--seed', '-3'], /^strata analyze: --seed: expected an integer in \[0, 2\^53 - 1\], found "-3"$/],
    [['--analysis', 'head-scores', '--settings', writeJson('typo.json', { 'head-scores': { perod: 3 } })],
      /^strata analyze: head-scores\.perod: unknown setting$/],
    [['--analysis', 'head-scores', '--settings', writeJson('other.json', { 'logit-lens': {} })],
      /^strata analyze: .*other\.json: logit-lens: given, but logit-lens is not among the analyses to run$/],
    [['--analysis', 'logit-lens', '--settings', writeJson('item.json', { 'logit-lens': { item: 'nope' } })],
      /^strata analyze: logit-lens\.item: expected the id of an item of the suite, found "nope"$/],
    [['--analysis', 'head-scores', '--frobnicate'], /^strata analyze: unknown option --frobnicate$/],
    [['--analysis', 'head-scores', '--json'], /^strata analyze: --json: goes with --list \(an analysis run writes its report with --out\)$/],
  ];
  for (const [extra, message] of cases) {
    const r = strata('analyze', '--model', dir, '--suite', join(dir, 'suite.json'), '--out', out, ...extra);
    assert.equal(r.status, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const noSuite = strata('analyze', '--model', dir, '--analysis', 'tuned-lens', '--out', out);
  assert.equal(noSuite.status, 2);
  assert.match(noSuite.stderr, /^strata analyze: tuned-lens: needs a suite \(--suite FILE\)$/m);
  const noOut = strata('analyze', '--model', dir, '--analysis', 'head-scores');
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /missing option --out/);
});
