// What the page says above a result about the items it left out
// (web/src/views/common.js selectionNotes), on results the command line
// computes: a sweep, the tuned lens and the circuits cut to their time budgets, and the items a suite marks as
// answered wrong left out of a sweep and of the logit lens.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { selectionNotes } from '../../web/src/views/common.js';
import { root, strata } from './helpers.mjs';

const model = join(root, 'models/tiny-gpt2-world2');
const work = mkdtempSync(join(tmpdir(), 'strata-notes-'));

function analyze(suite, settings) {
  const out = join(work, 'report.json');
  const settingsPath = join(work, 'settings.json');
  writeFileSync(settingsPath, JSON.stringify(settings));
  const r = strata('analyze', '--model', model, '--suite', suite, '--analysis', Object.keys(settings).join(','),
    '--out', out, '--seed', '1', '--settings', settingsPath);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(out, 'utf8')).results;
}

test('a sweep cut to its budget says how many items it kept and why', () => {
  const { ablation } = analyze(join(model, 'suite.json'),
    { ablation: { kinds: ['city'], items_per_kind: 32, levels: ['layer'], budget_seconds: 1e-9 } });
  const notes = selectionNotes(ablation);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /^sampled: 4 of 32 items of each kind, drawn with the seed, because the whole sweep would take about 0 s of one engine's time, over the 0 s this page allows/);
  assert.deepEqual(selectionNotes({ ...ablation, budget: undefined }), []);
});

test('a tuned lens cut to its budget says what it fitted, on how many items, and why', () => {
  const { 'tuned-lens': lens } = analyze(join(model, 'suite.json'),
    { 'tuned-lens': { items_per_kind: 8, steps: 2, budget_seconds: 1e-9 } });
  assert.deepEqual(selectionNotes(lens).map((n) => n.replace(/about [\d.]+ (s|min)/g, 'about T')), [
    'fitted by least squares alone (without the KL objective) on 4 of 8 items of each kind, drawn with the seed, because the whole fit '
      + 'would take about T of one engine\'s time, over the 0 s this page allows (about T as run; the rule is in the methods, "Tuned lens").',
  ]);
});

test('circuits cut to their budget say which sets shrank, to what, and why', () => {
  const { circuits } = analyze(join(model, 'suite.json'), { circuits: { kinds: ['city', 'compare'], test_items_per_kind: 6,
    random_circuits: 4, bootstrap_samples: 100, max_size: 1, donors: 1, budget_seconds: 1e-9 } });
  assert.deepEqual(selectionNotes(circuits).map((n) => n.replace(/about [\d.]+ (s|min)/g, 'about T')), [
    'sampled: 2/2/2/2 items per kind in the selection/validation/test/null sets instead of 12/12/6/8, with whole attention '
      + 'layers and MLPs as the candidates instead of every head, because the whole analysis would take about T of one '
      + 'engine\'s time, over the 0 s this page allows (about T as run; the rule is in the methods, "Circuits and selective impairment").',
  ]);
});

test('the items a model answers wrong are counted where a result leaves them out', () => {
  const suite = JSON.parse(readFileSync(join(model, 'suite.json'), 'utf8'));
  const sha = strata('info', '--model', model, '--json').json.weights_sha256;
  const wrong = suite.items.filter((it) => (it.kind === 'compare' && it.split === 'heldout')).map((it) => it.id);
  wrong.push(suite.items.find((it) => it.kind === 'city').id);
  suite.answered_wrong = { weights_sha256: sha, items: wrong };
  const marked = join(work, 'marked.json');
  writeFileSync(marked, JSON.stringify(suite));
  const results = analyze(marked, { ablation: { items_per_kind: 2, levels: ['layer'] }, 'logit-lens': { split: 'heldout', items_per_kind: 1 } });
  assert.deepEqual(selectionNotes(results.ablation),
    ['1 item the model answers wrong is left out, as the study does; compare left out, the model answering none of its items right.']);
  assert.deepEqual(selectionNotes(results['logit-lens']), ['200 items the model answers wrong are left out, as the study does.']);
});
