// `strata eval` agrees with the recipe's PyTorch evaluation (eval-torch.json,
// written by models/recipe/evaluate.py) on every shipped model: the same
// predicted token for every suite item, and the same counts per kind and split
// (for a conflict kind, of both the prompt's and the memorised answer).
// The native binary is build/native/strata unless STRATA_BIN names another.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { root, strata } from './helpers.mjs';

const modelsDir = join(root, 'models');
const shipped = readdirSync(modelsDir).filter((name) => existsSync(join(modelsDir, name, 'eval-torch.json')));

// eval-torch.json rounds accuracies to four decimals (0.03125 -> 0.0312).
const ROUNDING = 0.5e-4 + 1e-9;

test('there are shipped models with a PyTorch evaluation', () => assert.ok(shipped.length >= 2, `found ${shipped.join(', ')}`));

for (const name of shipped) {
  test(`${name}: strata eval agrees with PyTorch item by item and per kind`, () => {
    const dir = join(modelsDir, name);
    const suitePath = join(dir, 'suite.json');
    const torch = JSON.parse(readFileSync(join(dir, 'eval-torch.json'), 'utf8'));
    const suiteSha = createHash('sha256').update(readFileSync(suitePath)).digest('hex');
    assert.equal(torch.suite_sha256, suiteSha, 'eval-torch.json was computed on another suite.json');

    const r = strata('eval', '--model', dir, '--suite', suitePath, '--json', '--items');
    assert.equal(r.status, 0, r.stderr);
    const engine = r.json;
    assert.equal(engine.model, torch.model);

    const suite = JSON.parse(readFileSync(suitePath, 'utf8'));
    assert.equal(engine.items.length, suite.items.length);
    assert.equal(torch.items.length, suite.items.length);
    const byId = new Map(engine.items.map((item) => [item.id, item]));
    assert.equal(byId.size, suite.items.length, 'duplicate item ids in strata eval --items');
    const disagreements = [];
    for (const t of torch.items) {
      const e = byId.get(t.id);
      assert.ok(e, `strata eval has no item ${t.id}`);
      assert.equal(e.correct, t.correct, `${t.id}: correct`);
      if (e.predicted !== t.predicted) disagreements.push(`${t.id}: engine ${e.predicted}, torch ${t.predicted} (margin ${t.margin})`);
    }
    assert.deepEqual(disagreements, []);

    assert.deepEqual(Object.keys(engine.by_kind).sort(), Object.keys(torch.by_kind).sort());
    for (const [kind, t] of Object.entries(torch.by_kind)) {
      const e = engine.by_kind[kind];
      assert.equal(e.family, t.family, `${kind}: family`);
      assert.equal(e.optional, t.optional, `${kind}: optional`);
      assert.deepEqual(Object.keys(e.splits).sort(), Object.keys(t.splits).sort(), `${kind}: splits`);
      for (const [split, ts] of Object.entries(t.splits)) {
        const es = e.splits[split];
        assert.equal(es.n, ts.n, `${kind}/${split}: n`);
        assert.equal(es.correct, ts.correct, `${kind}/${split}: correct`);
        assert.ok(Math.abs(es.accuracy - ts.accuracy) <= ROUNDING, `${kind}/${split}: accuracy ${es.accuracy} vs ${ts.accuracy}`);
        // A conflict kind also counts the memorised answer's wins.
        assert.equal(es.memory, ts.memory, `${kind}/${split}: memorised answers`);
      }
    }
  });
}
