// Logit lens and tuned lens: what the model would predict if it stopped after each
// layer, at every position of the prompt, with the answer's probability and rank.
// Computed by the engine's logit-lens and tuned-lens analyses.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { clear, el, explanation, percent, tokenLabel } from '../ui/dom.js';
import { TIME_BUDGET_SECONDS, analysisResult, focusSettings, positionLabels } from './common.js';

export const id = 'lens';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Logit lens', 'logit-lens'], ['Tuned lens', 'tuned-lens']];
export const title = 'Logit lens';
export const analyses = ['logit-lens', 'tuned-lens'];

const EXPLAIN = 'The model builds its answer in a running sum, the residual stream, that each layer adds to. '
  + 'The logit lens reads that sum after every layer as if it were the last one, so you can see when the answer '
  + 'appears. The tuned lens first corrects each layer\'s sum with a small learned map, which reads early layers '
  + 'more faithfully. Colour: the answer\'s probability; text: the top guess at that point.';

export function requests(data) {
  const focus = focusSettings(data);
  return [
    { name: 'logit-lens', settings: focus && { ...focus, top_k: 3 } },
    // The tuned lens is fitted on the suite's default sample (32 items of each kind), and the time
    // budget keeps a large model's fit to about a minute (observation-runners.h).
    { name: 'tuned-lens', settings: focus && { ...focus, top_k: 3, budget_seconds: TIME_BUDGET_SECONDS } },
  ];
}

export function mount(container, actions) {
  const logit = el('div', { class: 'lens-logit', id: 'lens-logit' });
  const tuned = el('div', { class: 'lens-tuned', id: 'lens-tuned' });
  const summary = el('div', { class: 'lens-summary', id: 'lens-summary' });
  container.append(el('h2', { text: 'Logit lens and tuned lens' }), explanation(EXPLAIN),
    el('section', { class: 'panel' }, [summary]), el('section', { class: 'panel' }, [logit]), el('section', { class: 'panel' }, [tuned]));
  return {
    update(data) {
      for (const box of [logit, tuned, summary]) clear(box);
      const a = analysisResult(logit, data, 'logit-lens', 'Logit lens');
      const b = analysisResult(tuned, data, 'tuned-lens', 'Tuned lens');
      if (a) lensChart(logit, a, data, actions, 'logit');
      if (b) lensChart(tuned, b, data, actions, 'tuned');
      if (a?.mode === 'prompt') answerSummary(summary, a, b?.mode === 'prompt' ? b : null, data, actions);
      else summary.append(el('p', { class: 'note', text: 'The answer\'s rank by layer appears here once the lens has run on a prompt.' }));
    },
  };
}

function boundaryLabel(b) {
  return b === 0 ? 'embeddings' : `after layer ${b - 1}`;
}

function lensChart(box, result, data, actions, kind) {
  const name = kind === 'logit' ? 'Logit lens' : 'Tuned lens';
  if (result.mode !== 'prompt') return suiteLens(box, result, actions, name, kind);
  const tokens = result.case.tokens;
  const bounds = [...result.lens.boundaries].reverse();
  const cols = positionLabels(tokens);
  const cell = (r, c) => bounds[r].cells[c];
  const answer = data.tokenOf(result.case.answer);
  const chart = {
    svg: matrixHeatmap({
      rows: bounds.map((b) => boundaryLabel(b.boundary)), cols, value: (r, c) => cell(r, c).target_prob,
      title: `${name}: probability of "${answer}"`, xTitle: 'position in the prompt', yTitle: 'read after', legendTitle: `p("${tokenLabel(answer)}")`,
      valueFormat: '.0%', text: (r, c) => tokenLabel(data.tokenOf(cell(r, c).top[0]?.id)).slice(0, 6), cell: Math.max(30, Math.min(44, Math.floor(700 / tokens.length))),
    }),
    rows: bounds.flatMap((b) => b.cells.map((c, p) => ({
      lens: kind, boundary: b.boundary, hook: b.hook, position: p, token: tokens[p], top1: data.tokenOf(c.top[0]?.id), top1_prob: c.top[0]?.prob,
      answer_prob: c.target_prob, answer_rank: c.target_rank, kl_to_final: c.kl_to_final,
    }))),
    json: result,
  };
  box.append(figure({ title: name, name: `${kind}-lens`, chart, onError: actions.notify,
    caption: `Rows: the residual stream after each layer (output at the top). Text: the top guess there. The answer is "${answer}".`
      + (kind === 'tuned' && result.heldout ? ' The map for each layer was fitted on part of the suite and checked on the rest.' : '') }));
}

function answerSummary(box, logit, tuned, data, actions) {
  const last = logit.case.tokens.length - 1;
  const series = [['logit lens', logit], ...(tuned ? [['tuned lens', tuned]] : [])];
  const n = logit.lens.boundaries.length;
  const cols = Array.from({ length: n }, (_, b) => boundaryLabel(b));
  const at = (lens, b) => lens.lens.boundaries[b].cells[last];
  const answer = data.tokenOf(logit.case.answer);
  const foil = logit.lens.foil === null || logit.lens.foil === undefined ? null : data.tokenOf(logit.lens.foil);
  const names = answerNames(data.prompt?.item, answer, foil);
  // One heatmap row per lens and token: the answer's, then the foil's.
  const lines = series.flatMap(([label, lens]) => [[`${label}: ${names.answer}`, lens, 'target'],
    ...(foil === null ? [] : [[`${label}: ${names.foil}`, lens, 'foil']])]);
  const chart = {
    svg: matrixHeatmap({
      rows: lines.map((l) => l[0]), cols, value: (r, b) => at(lines[r][1], b)[`${lines[r][2]}_prob`],
      title: foil === null ? `Rank of "${answer}" at the last token` : `Rank of "${answer}" and of "${foil}" at the last token`,
      xTitle: 'read after', legendTitle: 'probability', valueFormat: '.0%', text: (r, b) => `#${at(lines[r][1], b)[`${lines[r][2]}_rank`]}`, cell: 54,
    }),
    rows: series.flatMap(([lens, result]) => cols.map((c, b) => ({
      lens, boundary: b, read_after: c, answer_rank: at(result, b).target_rank, answer_prob: at(result, b).target_prob,
      ...(foil === null ? {} : { foil_rank: at(result, b).foil_rank, foil_prob: at(result, b).foil_prob }),
    }))),
  };
  const caption = [rankCaption(logit, last, answer), ...(foil === null ? [] : [foilCaption(logit, last, names)])].join(' ');
  box.append(figure({ title: names.conflict ? 'Memory against the prompt: which answer wins, and where?' : 'When does the answer win?',
    name: 'lens-answer-rank', chart, onError: actions.notify, caption }));
}

// Says from which boundary on the answer stays the top guess (to the output), read
// from the same cells the chart draws.
export function rankCaption(logit, last, answer) {
  const ranks = logit.lens.boundaries.map((b) => b.cells[last]?.target_rank);
  const n = ranks.length;
  if (!n) return 'The lens read no layer at the last token.';
  let from = n;
  while (from > 0 && ranks[from - 1] === 1) from--;
  const key = 'Text: the answer\'s rank (#1 = top guess).';
  if (from === n) return `With the logit lens, "${answer}" is not the top guess at the output (rank #${ranks[n - 1]}). ${key}`;
  const p = logit.lens.boundaries[from].cells[last].target_prob;
  const earlier = ranks.slice(0, from).some((r) => r === 1) ? ' (it is also on top at some earlier point, then loses the lead)' : '';
  return `With the logit lens, "${answer}" is the top guess from ${boundaryLabel(from)} on, ${percent(p)} there${earlier}. ${key}`;
}

// How the two tokens are named: a conflict item's answer is the one its prompt
// states and its foil the one the model memorised (docs/methods.md, "Conflict items").
function answerNames(item, answer, foil) {
  if (item?.family === 'conflict') return { conflict: true, answer: `stated "${answer}"`, foil: `memorised "${foil}"` };
  return { conflict: false, answer: `"${answer}"`, foil: `"${foil}" (foil)` };
}

// Which of answer and foil is the more probable at the output, and from which
// boundary on it stays ahead: {answerWins, from, out}, read from the lens's cells
// at the last token (the lens caption and the memory lesson both say it).
export function foilLead(logit, last) {
  const cells = logit.lens.boundaries.map((b) => b.cells[last]);
  const out = cells[cells.length - 1];
  const answerWins = out.target_prob >= out.foil_prob;
  const ahead = (c) => (answerWins ? c.target_prob >= c.foil_prob : c.foil_prob > c.target_prob);
  let from = cells.length;
  while (from > 0 && ahead(cells[from - 1])) from--;
  return { answerWins, from, out };
}

export function foilCaption(logit, last, names) {
  const { answerWins, from, out } = foilLead(logit, last);
  const [winner, loser] = answerWins ? [names.answer, names.foil] : [names.foil, names.answer];
  return `At the output, ${names.answer} has ${percent(out.target_prob)} and ${names.foil} ${percent(out.foil_prob)}: `
    + `${winner} is ahead of ${loser} from ${boundaryLabel(from)} on.`;
}

function suiteLens(box, result, actions, name, kind) {
  const kinds = Object.entries(result.by_kind ?? {});
  if (!kinds.length) return;
  const n = kinds[0][1].answer_prob.length;
  const cols = Array.from({ length: n }, (_, b) => boundaryLabel(b));
  const chart = {
    svg: matrixHeatmap({ rows: kinds.map(([k, v]) => `${k} (${v.family})`), cols, value: (r, b) => kinds[r][1].answer_prob[b], title: `${name} over the suite`,
      xTitle: 'read after', legendTitle: 'p(answer)', valueFormat: '.0%', text: (r, b) => `${Math.round(kinds[r][1].answer_top1[b] * 100)}`, cell: 54 }),
    rows: kinds.flatMap(([k, v]) => cols.map((c, b) => ({ kind: k, family: v.family, boundary: b, answer_prob: v.answer_prob[b], answer_rank: v.answer_rank[b], answer_top1: v.answer_top1[b] }))),
    json: result,
  };
  box.append(figure({ title: `${name}, every kind of prompt`, name: `${kind}-lens-suite`, chart, onError: actions.notify,
    caption: 'Mean probability of the answer at the last token; text: % of prompts where it is the top guess.' }));
}
