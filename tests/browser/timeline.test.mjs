// The training timeline: a shipped model with checkpoints shows accuracy and
// circuits per saved step (the charts' tables against timeline.json), a link
// opens the model at a checkpoint, the Earlier / Later buttons and the menu step
// through them (the link following), the checkpoints' weights give other
// predictions than the final ones, and a link to a step that does not exist
// falls back to the final weights with a notice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chartData, dist, openBrowser, predictions, requireSite, startServer } from './helpers.mjs';

const manifest = requireSite();
const withTimeline = manifest.models.filter((m) => typeof m.timeline === 'string');
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

const tableRows = async (page, name) => (await chartData(page, name)).rows;
const hashStep = (page) => page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('ck'));

async function waitForName(page, text) {
  await page.waitForFunction((t) => document.getElementById('model-name')?.textContent === t, text, { timeout: 60_000 });
}

test('at least one shipped model has a training timeline', () => {
  assert.ok(withTimeline.length >= 1, `no model in the manifest lists a timeline: ${manifest.models.map((m) => m.id).join(', ')}`);
});

for (const model of withTimeline) {
  test(`${model.id}: the timeline's charts are timeline.json, and the page steps through its checkpoints`, async () => {
    const { page } = browser;
    const timeline = JSON.parse(readFileSync(join(dist, 'models', model.path, model.timeline), 'utf8'));
    const steps = timeline.checkpoints.map((c) => c.step);
    const item = JSON.parse(readFileSync(join(dist, 'models', model.path, 'suite.json'), 'utf8')).items[0].id;

    await page.goto('about:blank');
    await page.goto(`${server.url}#m=${model.id}&i=${item}&ck=${steps[0]}`);
    await waitForName(page, `${model.id} at training step ${steps[0]}`);
    const early = await predictions(page);

    const accuracy = await tableRows(page, 'timeline-accuracy');
    for (const c of timeline.checkpoints) {
      for (const [kind, a] of Object.entries(c.accuracy)) {
        const row = accuracy.find((r) => Number(r.step) === c.step && r.kind === kind);
        assert.ok(row, `no row for ${kind} at step ${c.step}`);
        assert.ok(Math.abs(Number(row.accuracy) - a.accuracy) <= 1e-6, `${kind} at step ${c.step}: the chart says ${row.accuracy}, timeline.json ${a.accuracy}`);
      }
    }
    const circuits = await tableRows(page, 'timeline-circuits');
    assert.equal(circuits.length, steps.length);
    for (const [i, c] of timeline.checkpoints.entries()) {
      // The table writes 6 significant digits.
      const near = (text, x) => Math.abs(Number(text) - x) <= 1e-5 * Math.abs(x) + 1e-9;
      if (c.circuits) {
        assert.ok(near(circuits[i].recall_on_recall, c.circuits.recall.effect), `step ${c.step}: recall circuit ${circuits[i].recall_on_recall} vs ${c.circuits.recall.effect}`);
        assert.ok(near(circuits[i].reasoning_on_reasoning, c.circuits.reasoning.effect), `step ${c.step}: reasoning circuit ${circuits[i].reasoning_on_reasoning}`);
        assert.equal(circuits[i].separated, String(c.circuits.separated), `step ${c.step}: separated`);
      }
      else assert.equal(circuits[i].recall_on_recall, '', `step ${c.step} has no circuits, the chart shows ${circuits[i].recall_on_recall}`);
    }

    // Later: the next checkpoint, in the link and the model's name.
    await page.click('#checkpoint-later');
    await waitForName(page, `${model.id} at training step ${steps[1]}`);
    assert.equal(await hashStep(page), String(steps[1]));
    await page.click('#checkpoint-earlier');
    await waitForName(page, `${model.id} at training step ${steps[0]}`);

    // The final weights: from the menu; no step in the link, other predictions.
    await page.selectOption('#checkpoint-select', '');
    await waitForName(page, model.id);
    assert.equal(await hashStep(page), null);
    assert.equal(await page.$eval('#checkpoint-later', (b) => b.disabled), true, 'Later is enabled at the final weights');
    const final = await predictions(page);
    assert.notDeepEqual(early, final, `step ${steps[0]} predicts as the final weights do`);
    assert.deepEqual(browser.pageErrors, []);
  });

  test(`${model.id}: a link to a step with no checkpoint opens the final weights, with a notice`, async () => {
    const { page } = browser;
    await page.goto('about:blank');
    await page.goto(`${server.url}#m=${model.id}&ck=7`);
    await waitForName(page, model.id);
    const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent).join(' '));
    assert.match(notices, new RegExp(`no training checkpoint at step 7`), notices);
    assert.equal(await hashStep(page), null);
  });
}

// Every shipped model has a timeline: a site whose manifest lists none for the first one stands in for a model without.
test('a model without a timeline shows no timeline panel and ignores a checkpoint in the link', async () => {
  const plain = manifest.models[0];
  const withoutTimeline = (bytes) => {
    const m = JSON.parse(bytes.toString('utf8'));
    delete m.models[0].timeline;
    return JSON.stringify(m);
  };
  const plainServer = await startServer(dist, {}, [], { '/models/manifest.json': withoutTimeline });
  const plainBrowser = await openBrowser(plainServer.url);
  try {
    const { page } = plainBrowser;
    await page.goto(`${plainServer.url}#m=${plain.id}&ck=1500`);
    await waitForName(page, plain.id);
    assert.equal(await page.$eval('#timeline', (e) => e.hidden), true);
    const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent).join(' '));
    assert.match(notices, /has no training checkpoints; its final weights are shown/, notices);
    assert.equal(await hashStep(page), null);
    assert.deepEqual(plainBrowser.pageErrors, []);
  } finally {
    await plainBrowser.close();
    await plainServer.close();
  }
});
