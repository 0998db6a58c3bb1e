// Every step of every lesson of a shipped model, walked by views.test.mjs in the
// page that has just computed every view of that model: the lesson panel never
// reads "null", "undefined" or "NaN", and a sentence that states what the
// model does (a step's computed figure, #lesson-figure with its data-claim)
// says what the engine says. Each claim is checked twice: its wording against
// its own figures, and its figures against the native command line's
// analysis of the same model, item and seed (build/native/strata).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { strata } from '../node/helpers.mjs';
import { root } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'strata-lessons-'));
const FIGURE_TIMEOUT = 600_000;  // the study (with its nulls) and the circuits run in the page's workers

// One analysis of a shipped model by the command line, seed 0 (the page's default).
const cache = new Map();
function analyze(model, name, settings = {}) {
  const key = `${model}|${name}|${JSON.stringify(settings)}`;
  if (cache.has(key)) return cache.get(key);
  const dir = join(root, 'models', model);
  const out = join(tmp, `${cache.size}.json`);
  const settingsFile = join(tmp, `settings-${cache.size}.json`);
  writeFileSync(settingsFile, JSON.stringify({ [name]: settings }));
  const r = strata('analyze', '--model', dir, '--suite', join(dir, 'suite.json'), '--analysis', name, '--seed', '0',
    '--settings', settingsFile, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')).results[name];
  cache.set(key, result);
  return result;
}

function counted(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function boundaryWords(b) {
  return b === 0 ? 'at the embeddings, before any layer' : `after layer ${b - 1}`;
}

function firstTop1(lens) {
  const last = lens.case.tokens.length - 1;
  return lens.lens.boundaries.map((b) => b.cells[last].target_rank).indexOf(1);
}

// At the last token: does the answer (stated) or the foil (memorised) lead at the output, and from which boundary on.
function foilLead(lens) {
  const last = lens.case.tokens.length - 1;
  const cells = lens.lens.boundaries.map((b) => b.cells[last]);
  const out = cells[cells.length - 1];
  const answerWins = out.target_prob >= out.foil_prob;
  let from = cells.length;
  while (from > 0 && (answerWins ? cells[from - 1].target_prob >= cells[from - 1].foil_prob : cells[from - 1].foil_prob > cells[from - 1].target_prob)) from--;
  return { answer_wins: answerWins, from };
}

function timelineOf(model) {
  return JSON.parse(readFileSync(join(root, 'models', model, 'timeline.json'), 'utf8'));
}

// Each kind but conflicts: the first saved step from which its accuracy stays at 90% or above (null: never).
function formedSteps(timeline) {
  const { checkpoints } = timeline;
  const kinds = [...new Set(checkpoints.flatMap((c) => Object.keys(c.accuracy)))]
    .filter((k) => !checkpoints.some((c) => c.accuracy[k]?.memory !== undefined));
  return Object.fromEntries(kinds.map((k) => {
    let from = checkpoints.length;
    while (from > 0 && (checkpoints[from - 1].accuracy[k]?.accuracy ?? 0) >= 0.9) from--;
    return [k, from === checkpoints.length ? null : checkpoints[from].step];
  }));
}

function studyCounts(labels) {
  return { layers: labels.totals.layers.specialised, heads: labels.totals.heads.specialised };
}

// The claim's wording and its figures against the command line's.
function checkClaim(model, claim, text, where) {
  switch (claim.kind) {
    case 'lens-first-top1': {
      const lens = analyze(model, 'logit-lens', { item: claim.item, top_k: 3 });
      assert.equal(claim.boundary, firstTop1(lens), `${where}: the logit lens's first top-1 boundary`);
      if (claim.boundary < 0) assert.match(text, /never makes/, `${where}: "${text}"`);
      else assert.ok(text.includes(boundaryWords(claim.boundary)), `${where}: "${text}" should say ${boundaryWords(claim.boundary)}`);
      return;
    }
    case 'lens-foil': {
      // The memory lesson: which of the stated and memorised answers leads at the output, and from where.
      const lens = analyze(model, 'logit-lens', { item: claim.item, top_k: 3 });
      const lead = foilLead(lens);
      assert.deepEqual({ answer_wins: claim.answer_wins, from: claim.from }, lead, `${where}: the stated against the memorised answer`);
      const winner = lead.answer_wins ? 'the stated' : 'the memorised';
      assert.ok(text.includes(`puts ${winner} "`), `${where}: "${text}" should put ${winner} answer ahead`);
      assert.ok(text.includes(lead.from === 0 ? 'from the embeddings on' : `from ${boundaryWords(lead.from)} on`), `${where}: "${text}"`);
      return;
    }
    case 'timeline-step': {
      // The training lesson's first step: accuracy per kind at the checkpoint it opened, from timeline.json.
      const at = timelineOf(model).checkpoints.find((c) => c.step === claim.step);
      assert.ok(at, `${where}: no checkpoint at step ${claim.step} in timeline.json`);
      const kinds = Object.entries(at.accuracy).filter(([, a]) => a.memory === undefined);
      assert.deepEqual(claim.accuracy, Object.fromEntries(kinds.map(([k, a]) => [k, a.accuracy])), `${where}: accuracy at step ${claim.step}`);
      assert.ok(text.includes(`At training step ${claim.step} `), `${where}: "${text}"`);
      for (const [k] of kinds) assert.ok(text.includes(` of ${k}`), `${where}: "${text}" leaves out ${k}`);
      return;
    }
    case 'timeline-formed': {
      const formed = formedSteps(timelineOf(model));
      assert.deepEqual(claim.formed, formed, `${where}: the steps at which each kind formed`);
      for (const [k, step] of Object.entries(formed)) {
        if (step !== null) assert.ok(text.includes(`${k} at step ${step}`), `${where}: "${text}"`);
        else assert.match(text, new RegExp(`below 90% at the last saved step: [^.]*\\b${k}\\b`), `${where}: "${text}"`);
      }
      return;
    }
    case 'no-timeline':
      assert.fail(`${where}: the lesson says ${model} has no timeline, but the manifest lists one`);
      return;
    case 'no-step':
      assert.fail(`${where}: the step was to open a training checkpoint, and the final weights are on screen`);
      return;
    case 'none': {
      const suite = JSON.parse(readFileSync(join(root, 'models', model, 'suite.json'), 'utf8'));
      assert.ok(!suite.items.some((it) => it.kind === 'conflict'), `${where}: the suite has conflict items but the lesson says it has none`);
      return;
    }
    case 'study-real': {
      const study = analyze(model, 'study');
      assert.deepEqual({ layers: claim.layers, heads: claim.heads }, studyCounts(study.labels), `${where}: the real contrast's labels`);
      assert.ok(text.includes(`labels ${claim.layers} of`) && text.includes(` and ${claim.heads} of`), `${where}: "${text}"`);
      return;
    }
    case 'study-nulls': {
      const study = analyze(model, 'study');
      assert.equal(claim.nulls.length, study.nulls.length, `${where}: the number of nulls`);
      let asMany = 0;
      const real = studyCounts(study.labels);
      study.nulls.forEach((n, i) => {
        const c = claim.nulls[i];
        assert.equal(c.name, n.name, `${where}: null ${i}`);
        if (!n.labels) {
          assert.ok(c.skipped, `${where}: "${n.name}" was not run but the lesson gives it figures`);
          assert.ok(text.includes(`"${n.name}" could not be run`), `${where}: "${text}"`);
          return;
        }
        const counts = studyCounts(n.labels);
        assert.deepEqual({ layers: c.layers, heads: c.heads }, counts, `${where}: "${n.name}"`);
        assert.ok(text.includes(`"${n.name}" labels ${counted(counts.layers, 'layer')} and ${counted(counts.heads, 'head')}`), `${where}: "${text}"`);
        if (counts.layers >= real.layers) asMany++;
      });
      assert.equal(claim.as_many, asMany, `${where}: nulls with at least as many layers`);
      assert.ok(text.includes(`${asMany} of ${study.nulls.filter((n) => n.labels).length} control contrasts`), `${where}: "${text}"`);
      return;
    }
    case 'circuits':
      // The page runs the circuits with its own smaller settings: the sentence must be the engine's statement.
      assert.equal(typeof claim.holds, 'boolean', `${where}: the circuits' verdict`);
      assert.ok(text.startsWith('On this model the test says: '), `${where}: "${text}"`);
      return;
    default:
      assert.fail(`${where}: a claim of unknown kind ${JSON.stringify(claim)}`);
  }
}

// Walks every lesson of `model` in `page` (served from `url`), checking each step's text and claim.
export async function walkLessons(page, url, model, t) {
  await page.goto(`${url}#m=${model.id}&v=lessons`);
  await page.waitForSelector('#lesson-list li');
  const lessons = await page.$$eval('#lesson-list li', (li) => li.map((x) => x.dataset.lesson));
  let claims = 0;
  for (const lesson of lessons) {
    await page.click('button.tab[data-view="lessons"]');
    await page.click(`button.start-lesson[data-lesson="${lesson}"]`);
    for (let step = 0; ; step++) {
      await page.waitForFunction((k) => document.getElementById('lesson-count')?.textContent.startsWith(`step ${k + 1} of`), step);
      const where = `${model.id}, lesson ${lesson}, step ${step + 1}`;
      // A computed sentence is waited for until its analyses have run.
      await page.waitForFunction(() => !document.querySelector('#lesson-figure[data-pending]'), null,
        { timeout: FIGURE_TIMEOUT, polling: 500 });
      const panel = await page.$eval('#lesson', (box) => ({
        text: box.innerText,
        figure: box.querySelector('#lesson-figure')?.textContent ?? null,
        claim: box.querySelector('#lesson-figure')?.dataset.claim ?? null,
      }));
      assert.doesNotMatch(panel.text, /\b(null|undefined|NaN)\b/, `${where}: "${panel.text}"`);
      if (panel.claim) {
        checkClaim(model.id, JSON.parse(panel.claim), panel.figure, where);
        t.diagnostic(`${where}: ${panel.figure}`);
        claims++;
      }
      // By selector: the panel is redrawn while analyses report progress, so a held handle goes stale.
      if (!await page.$('#lesson-next')) break;
      await page.click('#lesson-next');
    }
    await page.click('#lesson-end');
    await page.waitForFunction(() => document.getElementById('lesson').hidden);
  }
  t.diagnostic(`${model.id}: ${claims} computed claims checked`);
  assert.ok(claims >= 8, `${model.id}: only ${claims} computed claims (three lens steps, three study steps and two timeline steps expected)`);
}
