// Captions agree with their charts: on every view of both shipped models, each
// figure a caption states is checked against the chart's own data (its table,
// behind the "Table" toggle): the lens's "top guess from <boundary> on" against
// the answer's rank at every boundary, and its answer-against-foil sentence against
// both probabilities, the attribution's sum against its bars,
// the attention detail's strongest source and the flow's top sources against
// their cells, the attention grid's layers, heads and tokens against its rows, the
// prediction count against the bars; one item of every kind and split; and once per
// model the ablation sweep's kinds and families against its columns.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chartData, dist, openBrowser, openView, predictions, requireSite, startServer } from './helpers.mjs';

const manifest = requireSite();
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

// Opens a view and waits for the one chart checked there (not for the view's
// other charts: the tuned lens and the suite-wide means take far longer).
async function showChart(page, view, name) {
  await page.click(`button.tab[data-view="${view}"]`);
  await page.waitForFunction((v) => document.getElementById('view').dataset.view === v, view);
  await page.waitForSelector(`main figure.chart[data-chart^="${name}"] svg`, { timeout: 120_000 });
  return chartData(page, name);
}

const pct = (x, digits = 1) => `${(Number(x) * 100).toFixed(digits)}%`;

function checkLens({ caption, rows }) {
  const logit = rows.filter((r) => r.lens === 'logit lens').sort((a, b) => a.boundary - b.boundary);
  const ranks = logit.map((r) => Number(r.answer_rank));
  const m = /top guess from (embeddings|after layer (\d+)) on, ([\d.e+-]+%) there/.exec(caption);
  if (!m) {
    assert.match(caption, /is not the top guess at the output \(rank #(\d+)\)/, caption);
    assert.equal(Number(/rank #(\d+)/.exec(caption)[1]), ranks[ranks.length - 1]);
    assert.notEqual(ranks[ranks.length - 1], 1, `the caption says the answer is not on top, the chart says it is: ${caption}`);
    return;
  }
  const from = m[1] === 'embeddings' ? 0 : Number(m[2]) + 1;
  assert.ok(ranks.slice(from).every((r) => r === 1), `"${caption}" but the ranks from there are ${ranks.slice(from)}`);
  if (from > 0) assert.notEqual(ranks[from - 1], 1, `"${caption}" but the answer is already on top one boundary earlier`);
  const p = Number(logit[from].answer_prob);
  assert.ok([1, 2].some((d) => pct(p, d) === m[3]) || (p < 0.001 && /e/.test(m[3])), `"${m[3]}" is not the chart's ${p}`);
}

// "At the output, "x" has 97.1% and "y" (foil) 0.52%: "x" is ahead of "y" (foil) from after layer 1 on."
function checkFoil({ caption, rows }) {
  const name = '((?:stated |memorised )?"[^"]*"(?: \\(foil\\))?)';
  const m = new RegExp(`At the output, ${name} has ([\\d.e+-]+%) and ${name} ([\\d.e+-]+%): ${name} is ahead of ${name} from (embeddings|after layer (\\d+)) on\\.`).exec(caption);
  assert.ok(m, `the lens caption does not compare the answer with its foil: ${caption}`);
  const logit = rows.filter((r) => r.lens === 'logit lens').sort((a, b) => a.boundary - b.boundary);
  const out = logit[logit.length - 1];
  const same = (p, text) => [1, 2].some((d) => pct(p, d) === text) || (p < 0.001 && /e/.test(text));
  assert.ok(same(Number(out.answer_prob), m[2]) && same(Number(out.foil_prob), m[4]), `"${caption}" but the chart's output has ${out.answer_prob} and ${out.foil_prob}`);
  const answerWins = m[5] === m[1];
  assert.equal(answerWins, Number(out.answer_prob) >= Number(out.foil_prob), `"${caption}" names the wrong winner`);
  const ahead = (r) => (answerWins ? Number(r.answer_prob) >= Number(r.foil_prob) : Number(r.foil_prob) > Number(r.answer_prob));
  const from = m[7] === 'embeddings' ? 0 : Number(m[8]) + 1;
  assert.ok(logit.slice(from).every(ahead), `"${caption}" but the winner is behind after boundary ${from}`);
  if (from > 0) assert.ok(!ahead(logit[from - 1]), `"${caption}" but the winner is already ahead one boundary earlier`);
}

function checkAttribution({ caption, rows }) {
  const m = /^The (?:"(.+)" minus "(.+)" )?bars add up to (-?[\d.]+)/.exec(caption);
  assert.ok(m, `the attribution caption does not say which bars add up: ${caption}`);
  const column = m[1] !== undefined ? 'logit_diff' : 'logit';
  const sum = rows.reduce((s, r) => s + Number(r[column]), 0);
  assert.ok(Math.abs(sum - Number(m[3])) <= 0.011 + 1e-4 * Math.abs(sum), `the ${column} bars sum to ${sum}, the caption says ${m[3]}`);
}

function checkAttentionDetail({ caption, rows }) {
  const m = /looks most at "(.*)" \(position (\d+)\), with (\d+)% of its attention/.exec(caption);
  assert.ok(m, caption);
  const last = Math.max(...rows.map((r) => Number(r.query)));
  const fromLast = rows.filter((r) => Number(r.query) === last);
  const best = fromLast.reduce((a, b) => (Number(b.attention) > Number(a.attention) ? b : a));
  assert.equal(Number(m[2]), Number(best.key), `the caption names position ${m[2]}, the chart's strongest is ${best.key}`);
  assert.equal(Number(m[3]), Math.round(Number(best.attention) * 100));
}

// "4 layers × 4 heads over 9 tokens": the table holds one row per layer, head and
// (query, key ≤ query) pair; a long one says how many rows the whole has.
function checkAttentionGrid({ caption, rows, more }) {
  const m = /^(\d+) layers × (\d+) heads over (\d+) tokens/.exec(caption);
  assert.ok(m, caption);
  const [L, H, T] = m.slice(1).map(Number);
  const total = more ? Number(/of (\d+) rows/.exec(more)[1]) : rows.length;
  assert.equal(total, (L * H * T * (T + 1)) / 2, `"${caption}" but the chart has ${total} rows`);
}

// "items: city 32, compare 32, …": the kinds the sweep's table has drop columns for.
function checkAblationSweep({ caption, rows }) {
  const named = [...(/items: (.*)\.$/.exec(caption)?.[1] ?? '').matchAll(/([\w-]+) (\d+)/g)].map((x) => x[1]).sort();
  const columns = Object.keys(rows[0]).filter((c) => c.startsWith('drop_')).map((c) => c.slice(5));
  const families = new Set(['recall', 'reasoning', 'mixed']);
  assert.ok(named.length, `the sweep's caption names no items: ${caption}`);
  assert.deepEqual(named, columns.filter((k) => !families.has(k)).sort(), `the caption's kinds are not the chart's: ${caption}`);
  const baseline = [...caption.matchAll(/(recall|reasoning) [\d.]+%/g)].map((x) => x[1]);
  assert.deepEqual(baseline.sort(), columns.filter((k) => families.has(k)).sort(), `the caption's baseline families are not the chart's: ${caption}`);
}

function checkFlow({ caption, rows }) {
  const claims = [...caption.matchAll(/"([^"]*)" (\d+)%/g)].map((x) => Number(x[2]));
  const flows = rows.map((r) => Math.round(Number(r.max_flow) * 100)).sort((a, b) => b - a);
  assert.deepEqual(claims, flows.slice(0, claims.length), `the caption's top sources ${claims} are not the chart's ${flows.slice(0, 3)}`);
}

function checkPredictions({ caption, rows }) {
  const n = Number(/The (\d+) most likely/.exec(caption)?.[1]);
  const answerAdded = /added below the top/.test(caption);
  assert.equal(rows.length, n + (answerAdded ? 1 : 0), `the caption counts ${n} tokens, the chart has ${rows.length}`);
}

for (const model of manifest.models) {
  test(`${model.id}: every caption's figures agree with its chart, on every kind of item`, async (t) => {
    const { page } = browser;
    const seen = new Map();
    const items = JSON.parse(readFileSync(join(dist, 'models', model.path, 'suite.json'), 'utf8')).items;
    for (const it of items) if (!seen.has(`${it.kind}|${it.split}`)) seen.set(`${it.kind}|${it.split}`, it.id);
    for (const item of seen.values()) {
      const suiteItem = items.find((it) => it.id === item);
      await page.goto('about:blank');
      await page.goto(`${server.url}#m=${model.id}&i=${item}`);
      await predictions(page);
      checkPredictions(await chartData(page, 'predictions'));
      checkAttentionDetail(await showChart(page, 'attention', 'attention-l'));
      checkAttentionGrid(await chartData(page, 'attention-grid'));
      checkFlow(await showChart(page, 'flow', 'attention-flow'));
      const lens = await showChart(page, 'lens', 'lens-answer-rank');
      checkLens(lens);
      checkFoil(lens);
      // A conflict item's foil is the memorised answer, named as such.
      if (suiteItem.family === 'conflict') assert.match(lens.caption, new RegExp(`stated "${suiteItem.answer}" has .* and memorised "${suiteItem.meta.memory_answer}"`), lens.caption);
      checkAttribution(await showChart(page, 'attribution', 'attribution'));
      t.diagnostic(`${item}: captions agree`);
    }
    await openView(page, 'ablation');  // whole-suite: once per model
    checkAblationSweep(await chartData(page, 'ablation-suite-blocks'));
    assert.deepEqual(browser.pageErrors, []);
  });
}
