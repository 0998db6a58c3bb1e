// Ablation: switch off a head, an MLP or a whole layer and watch the prediction change.
import { figure } from '../charts/figure.js';
import { probabilityBars } from '../charts/bars.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { signedBars } from '../charts/signed-bars.js';
import { describeAblation, sameAblation } from '../state/interventions.js';
import { clear, el, explanation, percent, tokenLabel } from '../ui/dom.js';
import { predictionTable } from '../ui/predictions.js';
import { TIME_BUDGET_SECONDS, analysisResult, unitGrid } from './common.js';

export const id = 'ablation';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Ablation', 'ablation']];
export const title = 'Ablation';
export const analyses = ['ablation'];

// The suite-wide sweep zeroes, like a click does, so the two can be compared.
export const SWEEP_SETTINGS = { method: 'zero', budget_seconds: TIME_BUDGET_SECONDS };

export function requests(data) {
  return [{ name: 'ablation', settings: data.model?.suite?.items?.length ? SWEEP_SETTINGS : null }];
}

const EXPLAIN = 'To find out whether a part of the model matters, switch it off and see what happens. '
  + 'Click a head to silence it (its output is set to zero), an MLP to remove what it adds, or a whole '
  + 'layer to do both. If the answer collapses when a part is off, the model needed that part for this '
  + 'prompt; if nothing changes, it did not. The active ablations are part of the link, so you can share '
  + 'an experiment.';

export function mount(container, actions) {
  const controls = el('div', { class: 'ablation-controls', id: 'ablation-controls' });
  const active = el('div', { class: 'ablation-active', id: 'ablation-active' });
  const results = el('div', { class: 'results', id: 'ablation-results' });
  const suite = el('div', { class: 'results', id: 'ablation-suite' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN),
    el('section', { class: 'panel' }, [el('h3', { text: 'Switch parts off' }), controls, active]),
    el('section', { class: 'panel' }, [results]),
    el('section', { class: 'panel' }, [el('h3', { text: 'Over the whole suite: what each part costs recall and reasoning' }), explanation(SUITE_EXPLAIN), suite]));
  return {
    update(data) {
      fillControls(controls, data, actions);
      fillActive(active, data, actions);
      fillResults(results, data, actions);
      fillSuite(suite, data, actions);
    },
  };
}

const SUITE_EXPLAIN = 'Here every part is switched off in turn (set to zero, as a click does) on many prompts of each kind, '
  + 'and the drop in accuracy is counted: how many prompts the model gets right with the part, minus how many it '
  + 'gets right without. A part whose loss costs recall but not reasoning belongs to recall. Click a head in the '
  + 'map to switch it off above.';

function fillSuite(box, data, actions) {
  clear(box);
  if (!data.model?.suite?.items?.length && !data.report) {
    box.append(el('p', { class: 'note', text: 'This needs the model\'s prompt suite (suite.json), which this model does not have.' }));
    return;
  }
  const result = analysisResult(box, data, 'ablation', 'Ablation sweep');
  if (!result) return;
  const all = result.items?.families ?? Object.keys(result.baseline?.by_family ?? {});
  // Recall first everywhere (blue), reasoning second (orange), as in the other views.
  const families = all.includes('recall') && all.includes('reasoning') ? ['recall', 'reasoning', ...all.filter((f) => f !== 'recall' && f !== 'reasoning')] : all;
  const units = Array.isArray(result.units) ? result.units : [];
  const baseline = families.map((f) => `${f} ${percent(result.baseline.by_family[f])}`).join(', ');
  const bars = {
    svg: signedBars({
      rows: units.filter((u) => u.level !== 'head').map((u) => ({ label: u.label, values: families.map((f) => u.drop.by_family[f]) })),
      series: families.map((f) => `${f} accuracy drop`), title: 'Accuracy drop per layer, attention block and MLP', xTitle: 'accuracy drop (baseline − ablated)', valueFormat: '.0%',
    }),
    rows: units.map((u) => ({ unit: u.unit, component: u.label, level: u.level, layer: u.layer, head: u.head ?? '',
      ...Object.fromEntries(families.map((f) => [`drop_${f}`, u.drop.by_family[f]])), ...Object.fromEntries(Object.entries(u.drop.by_kind).map(([k, v]) => [`drop_${k}`, v])) })),
    json: result,
  };
  box.append(figure({ title: 'Blocks: accuracy drop for recall and reasoning', name: 'ablation-suite-blocks', chart: bars, onError: actions.notify,
    caption: `Accuracy with nothing switched off: ${baseline}. Method: ${result.settings?.method ?? 'zero'}; items: ${(result.items?.kinds ?? []).map((k) => `${k.kind} ${k.n}`).join(', ')}.` }));
  const heads = units.filter((u) => u.level === 'head');
  if (heads.length && families.length >= 2) {
    const info = data.model?.info;
    const grid = unitGrid(heads, (u) => u.layer, (u) => u.head, { maxRows: info?.n_layers ?? 256, maxCols: info?.n_heads ?? 256, rowWhat: 'a layer', colWhat: 'a head' });
    const nLayers = grid.rows;
    const nHeads = grid.cols;
    const at = grid.at;
    const [a, b] = families.includes('recall') && families.includes('reasoning') ? ['recall', 'reasoning'] : families;
    const selective = (l, h) => (at(l, h) ? at(l, h).drop.by_family[b] - at(l, h).drop.by_family[a] : null);
    const chart = {
      svg: matrixHeatmap({
        rows: Array.from({ length: nLayers }, (_, l) => `layer ${l}`), cols: Array.from({ length: nHeads }, (_, h) => `head ${h}`),
        value: selective, kind: 'diverging', domain: [-1, 0, 1], title: `${b} drop minus ${a} drop per head`, xTitle: 'head', yTitle: 'layer',
        legendTitle: `${b} − ${a} drop`, valueFormat: '.0%', cell: 56,
        text: (l, h) => (at(l, h) ? `${Math.round(at(l, h).drop.by_family[a] * 100)}/${Math.round(at(l, h).drop.by_family[b] * 100)}` : ''),
        onPick: (l, h) => actions.toggleAblation({ kind: 'head', layer: l, head: h }),
      }),
      rows: heads.map((u) => ({ layer: u.layer, head: u.head, ...Object.fromEntries(families.map((f) => [`drop_${f}`, u.drop.by_family[f]])) })),
    };
    box.append(figure({ title: 'Heads: which ones recall depends on', name: 'ablation-suite-heads', chart, onError: actions.notify,
      caption: `Text: ${a} drop / ${b} drop in percentage points. Blue: switching the head off hurts ${a} more than ${b}; red: the reverse.` }));
  }
}

function toggle(data, a, actions, label) {
  const on = data.ablations.some((x) => sameAblation(x, a));
  return el('button', {
    type: 'button', class: `component${on ? ' on' : ''}`, text: label, 'aria-pressed': on ? 'true' : 'false',
    title: `${on ? 'Switch back on' : 'Switch off'} ${describeAblation(a)}`,
    dataset: { ablation: a.kind === 'head' ? `h${a.layer}.${a.head}` : a.kind === 'mlp' ? `m${a.layer}` : `L${a.layer}` },
    onclick: () => actions.toggleAblation(a),
  });
}

function fillControls(box, data, actions) {
  clear(box);
  const i = data.model?.info;
  if (!i) {
    box.append(el('p', { class: 'loading', text: 'Open a model first.' }));
    return;
  }
  const rows = [];
  for (let l = 0; l < i.n_layers; l++) {
    const heads = Array.from({ length: i.n_heads }, (_, h) => toggle(data, { kind: 'head', layer: l, head: h }, actions, `head ${h}`));
    rows.push(el('tr', {}, [el('th', { text: `layer ${l}` }), el('td', { class: 'heads' }, heads),
      el('td', {}, toggle(data, { kind: 'mlp', layer: l }, actions, 'MLP')),
      el('td', {}, toggle(data, { kind: 'layer', layer: l }, actions, 'whole layer'))]));
  }
  box.append(el('table', { class: 'components' }, [
    el('thead', {}, el('tr', {}, [el('th', {}), el('th', { text: 'attention heads' }), el('th', { text: 'MLP' }), el('th', { text: 'both' })])),
    el('tbody', {}, rows)]));
}

function fillActive(box, data, actions) {
  clear(box);
  if (!data.ablations.length) {
    box.append(el('p', { class: 'note', text: 'Nothing is switched off: the model runs unchanged.' }));
    return;
  }
  box.append(el('span', { text: 'Switched off: ' }),
    el('ul', { class: 'active-list' }, data.ablations.map((a) => el('li', {}, [
      el('span', { text: describeAblation(a) }),
      el('button', { type: 'button', class: 'remove', text: '×', 'aria-label': `Switch ${describeAblation(a)} back on`, onclick: () => actions.toggleAblation(a) }),
    ]))),
    el('button', { type: 'button', id: 'clear-ablations', text: 'Switch everything back on', onclick: () => actions.set({ interventions: [] }) }));
}

function fillResults(box, data, actions) {
  clear(box);
  if (data.runError) box.append(el('p', { class: 'error', role: 'alert', text: data.runError }));
  if (!data.clean || (data.ablations.length && !data.ablated)) {
    if (!data.runError && data.model) box.append(el('p', { class: 'loading', text: 'Running the model…' }));
    return;
  }
  const ablated = data.ablations.length ? data.ablated : data.clean;
  const ids = [...new Set([...data.clean.top.slice(0, 6), ...ablated.top.slice(0, 6)].map((t) => t.id))];
  const answerId = data.answerId ?? -1;
  if (answerId >= 0 && !ids.includes(answerId)) ids.push(answerId);
  const rows = ids.map((id) => ({
    token: data.tokenOf(id), id, values: [data.clean.probs[id], ablated.probs[id]],
    highlight: id === answerId,
  }));
  const series = ['unchanged model', data.ablations.length ? 'with ablations' : 'with ablations (none)'];
  const chart = {
    svg: probabilityBars({ rows, series, title: 'Predictions with and without the ablations' }),
    rows: rows.map((r) => ({ token: r.token, id: r.id, unchanged: r.values[0], ablated: r.values[1] })),
  };
  box.append(figure({ title: 'What changes when parts are off', name: 'ablation', chart, onError: actions.notify, caption: summary(data, ablated, answerId) }));
  box.append(predictionTable(rows, series));
}

function summary(data, ablated, answerId) {
  const before = data.clean.top[0];
  const after = ablated.top[0];
  const parts = [`Top prediction: "${tokenLabel(before.token)}" ${percent(before.probability)}`];
  if (data.ablations.length) parts.push(`→ "${tokenLabel(after.token)}" ${percent(after.probability)} with the ablations`);
  if (answerId >= 0) parts.push(`— the expected answer goes from ${percent(data.clean.probs[answerId])} to ${percent(ablated.probs[answerId])}`);
  return `${parts.join(' ')}.`;
}
