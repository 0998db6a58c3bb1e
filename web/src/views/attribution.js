// Direct logit attribution: the answer's score split into what each component
// (embeddings, every head, every MLP) wrote into the residual stream. Computed by
// the engine's attribution analysis.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { signedBars } from '../charts/signed-bars.js';
import { SIGNED_SERIES } from '../charts/theme.js';
import { clear, el, explanation, fixed } from '../ui/dom.js';
import { analysisResult, focusSettings, unitGrid } from './common.js';

export const id = 'attribution';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Direct logit attribution', 'direct-logit-attribution']];
export const title = 'Attribution';
export const analyses = ['attribution'];

const EXPLAIN = 'The final prediction is a sum: every head and every MLP adds its output to the residual stream. '
  + 'Because the last step is (almost) linear, the answer\'s score splits exactly into one share per part. '
  + 'A long bar to the right: that part pushed the answer up; to the left: it pushed it down. With a suite item, '
  + 'the second bar is the push towards the answer rather than the corrupted prompt\'s answer.';

export function requests(data) {
  return [{ name: 'attribution', settings: focusSettings(data) }];
}

export function mount(container, actions) {
  const body = el('div', { class: 'attribution-body' });
  container.append(el('h2', { text: 'Direct logit attribution' }), explanation(EXPLAIN), el('section', { class: 'panel' }, [body]));
  return {
    update(data) {
      clear(body);
      const result = analysisResult(body, data, 'attribution', 'Attribution');
      if (!result) return;
      if (result.mode !== 'prompt') return suiteAttribution(body, result, actions);
      promptAttribution(body, result, data, actions);
    },
  };
}

function promptAttribution(body, result, data, actions) {
  const a = result.attribution;
  const hasFoil = a.foil !== null && a.foil !== undefined;
  const answer = data.tokenOf(a.answer);
  const foil = hasFoil ? data.tokenOf(a.foil) : null;
  const series = hasFoil ? [`logit of "${answer}"`, `"${answer}" minus "${foil}"`] : [`logit of "${answer}"`];
  const rows = a.components.map((c) => ({ label: c.label, values: hasFoil ? [c.logit, c.logit_diff] : [c.logit] }));
  const chart = {
    svg: signedBars({ rows, series, title: 'Contribution of each component', xTitle: 'contribution to the logit', colors: SIGNED_SERIES }),
    rows: a.components.map((c) => ({ component: c.label, kind: c.kind, layer: c.layer ?? '', head: c.head ?? '', logit: c.logit, ...(hasFoil ? { logit_diff: c.logit_diff } : {}) })),
    json: result,
  };
  const heads = a.components.filter((c) => c.kind === 'head');
  const info = data.model?.info;
  const cells = unitGrid(heads, (c) => c.layer, (c) => c.head, { maxRows: info?.n_layers ?? 256, maxCols: info?.n_heads ?? 256, rowWhat: 'a layer', colWhat: 'a head' });
  const grid = Array.from({ length: cells.rows }, (_, l) => Array.from({ length: cells.cols }, (__, h) => {
    const c = cells.at(l, h);
    return c ? (hasFoil ? c.logit_diff : c.logit) : null;
  }));
  const headChart = {
    svg: matrixHeatmap({
      rows: grid.map((_, l) => `layer ${l}`), cols: Array.from({ length: cells.cols }, (_, h) => `head ${h}`), value: (l, h) => grid[l][h], kind: 'diverging', palette: 'signed',
      title: 'Heads by layer', xTitle: 'head', yTitle: 'layer', legendTitle: hasFoil ? 'logit diff' : 'logit', text: (l, h) => (Number.isFinite(grid[l][h]) ? grid[l][h].toFixed(1) : ''), cell: 52,
    }),
    rows: heads.map((c) => ({ layer: c.layer, head: c.head, value: hasFoil ? c.logit_diff : c.logit })),
  };
  const sorted = [...a.components].sort((x, y) => Math.abs(hasFoil ? y.logit_diff : y.logit) - Math.abs(hasFoil ? x.logit_diff : x.logit));
  const total = hasFoil ? `The "${answer}" minus "${foil}" bars add up to ${fixed(a.sum_logit_diff)} (the model's own difference: ${fixed(a.model_logit_diff)})`
    : `The bars add up to ${fixed(a.sum_logit)} (the model's own logit of "${answer}": ${fixed(a.model_logit)})`;
  body.append(
    figure({ title: 'Who pushes the answer?', name: 'attribution', chart, onError: actions.notify,
      caption: `${total}. Largest: ${sorted.slice(0, 3).map((c) => c.label).join(', ')}.` }),
    figure({ title: 'Every head at a glance', name: 'attribution-heads', chart: headChart, onError: actions.notify,
      caption: 'Teal: the head pushes towards the answer; brown: away from it. Text: its push in logits.' }),
  );
}

function suiteAttribution(body, result, actions) {
  for (const [kind, k] of Object.entries(result.by_kind ?? {})) {
    const labels = (result.components ?? []).map((c) => c.label);
    const rows = labels.map((label, i) => ({ label, values: [k.logit_diff?.[i] ?? k.logit?.[i]] }));
    const chart = { svg: signedBars({ rows, title: `Attribution for ${kind}`, xTitle: 'mean contribution', colors: SIGNED_SERIES }), rows: labels.map((label, i) => ({ kind, component: label, logit: k.logit?.[i], logit_diff: k.logit_diff?.[i] })), json: k };
    body.append(figure({ title: `${kind} (${k.family}, ${k.n} prompts)`, name: `attribution-${kind}`, chart, onError: actions.notify, caption: 'Mean over the suite\'s prompts of this kind.' }));
  }
}
