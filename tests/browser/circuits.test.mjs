// The circuits part of the recall-vs-reasoning view, computed in the page's
// workers with the engine's defaults, against the native command line run
// with its defaults and the page's seed (0): the same circuits, the same
// statement; the dissociation explorer places every candidate and both
// circuits. Then a circuit's button opens the ablation view with exactly that
// circuit switched off.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { openBrowser, openView, predictions, requireSite, root, startServer } from './helpers.mjs';

const manifest = requireSite();
const strata = join(root, 'build', 'native', 'strata');
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function nativeCircuits(model) {
  assert.ok(existsSync(strata), `${strata} is missing: bash scripts/build.sh builds it`);
  const tmp = mkdtempSync(join(tmpdir(), 'strata-circuits-'));
  try {
    const dir = join(root, 'models', model);
    const out = join(tmp, 'report.json');
    execFileSync(strata, ['analyze', '--model', dir, '--suite', join(dir, 'suite.json'), '--analysis', 'circuits',
      '--seed', '0', '--out', out]);
    return JSON.parse(readFileSync(out, 'utf8')).results.circuits;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

for (const model of manifest.models) {
  test(`${model.id}: the page's circuits are the command line's, with the engine's defaults`, async () => {
    const expected = nativeCircuits(model.id);
    const { page } = browser;
    await page.goto(`${server.url}#m=${model.id}`);
    await predictions(page);
    await openView(page, 'study');
    const shown = await page.evaluate(() => ({
      statement: document.getElementById('separation')?.textContent,
      circuits: [...document.querySelectorAll('.circuit-list li')].map((li) => li.querySelector('b + span')?.textContent),
      buttons: [...document.querySelectorAll('.circuit-list button[data-circuit]')].map((b) => b.dataset.circuit),
      chosen: [...document.querySelectorAll('figure[data-chart="circuits-dissociation"] circle.point.chosen')]
        .map((c) => Number(c.dataset.value)),
      singles: document.querySelectorAll('figure[data-chart="circuits-dissociation"] circle.point.single').length,
    }));
    assert.equal(shown.statement, expected.statement);
    const labels = (c) => c.components.map((x) => x.label).join(', ');
    assert.deepEqual(shown.circuits, [labels(expected.circuits.recall), labels(expected.circuits.reasoning)]);
    // the explorer: one point per candidate alone, and the two circuits at their test recall effects
    assert.equal(shown.singles, expected.candidates.length);
    assert.equal(shown.chosen.length, 2);
    ['recall', 'reasoning'].forEach((n, i) => {
      assert.ok(Math.abs(shown.chosen[i] - expected.circuits[n].test.recall.effect) < 1e-3, `${n} circuit's point`);
    });

    // whole heads and MLPs are clickable; the button switches exactly those off in the ablation view
    const whole = ['recall', 'reasoning'].filter((n) => expected.circuits[n].components.every((c) => !c.positions));
    assert.deepEqual(shown.buttons, whole);
    if (!whole.length) return;
    await page.click(`.circuit-list button[data-circuit="${whole[0]}"]`);
    await page.waitForFunction(() => document.getElementById('view').dataset.view === 'ablation');
    const state = new URLSearchParams(new URL(page.url()).hash.slice(1));
    const want = expected.circuits[whole[0]].components.map((c) => {
      const layer = /^blocks\.(\d+)\./.exec(c.hook)[1];
      return c.head === undefined ? `m${layer}` : `h${layer}.${c.head}`;
    });
    assert.deepEqual((state.get('x') ?? '').split(',').sort(), want.sort());
  });
}
