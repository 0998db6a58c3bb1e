// The study's totals and its labels beside its null contrasts: how many
// layers, heads and neurons the recall-vs-reasoning contrast labels, and how
// many the same pipeline labels where no recall/reasoning mechanism differs
// (random halves of a family, kind against kind, a randomly initialised
// model). Drawn into the Recall vs reasoning view; the summary functions are
// shared with the lessons, which state these figures in words.
import { el, percent } from '../ui/dom.js';

// {name, layers, heads, neurons, skipped?} for the real contrast, then each null.
export function labelRows(study) {
  const row = (name, labels) => {
    const t = labels.totals;
    return { name, layers: t.layers.specialised, nLayers: t.layers.n, layerLabels: labels.layers, heads: t.heads.specialised,
      headsReplicated: t.heads.consistent, nHeads: t.heads.n, neurons: t.neurons.task_specific, nNeurons: t.neurons.n };
  };
  if (!study?.labels) return [];
  return [row('recall vs reasoning', study.labels),
    ...(study.nulls ?? []).map((n) => (n.labels ? row(n.name, n.labels) : { name: n.name, skipped: n.skipped ?? 'not run' }))];
}

export function studyTotals(box, study) {
  const t = study.totals;
  if (!t) return;
  box.append(el('p', { id: 'study-summary', text: `Labelled: ${t.layers.specialised} of ${t.layers.n} layers (${t.layers.consistent} replicated on both disjoint halves), `
    + `${t.heads.specialised} of ${t.heads.n} heads (${t.heads.consistent} replicated), ${t.neurons.task_specific} of ${t.neurons.n} neurons `
    + `(${percent(t.neurons.fraction_task_specific)}). ${study.sign ?? ''}` }));
}

export function studyNulls(box, study) {
  const rows = labelRows(study);
  if (rows.length < 2) return;
  const cells = (r) => (r.skipped ? [el('td', { text: r.name }), el('td', { colspan: 3, text: `not run: ${r.skipped}` })]
    : [el('td', { text: r.name }), el('td', { text: `${r.layers} of ${r.nLayers} (${r.layerLabels.map((l) => l || '–').join(', ')})` }),
      el('td', { text: `${r.heads} of ${r.nHeads} (${r.headsReplicated} replicated)` }), el('td', { text: `${r.neurons} of ${r.nNeurons}` })]);
  const table = el('table', { class: 'components', id: 'study-nulls' }, [
    el('thead', {}, [el('tr', {}, ['contrast', 'layers labelled', 'heads labelled', 'neurons labelled'].map((h) => el('th', { text: h })))]),
    el('tbody', {}, rows.map((r, i) => el('tr', { class: i === 0 ? 'real' : 'null', dataset: { contrast: r.name } }, cells(r)))),
  ]);
  const real = rows[0];
  const ran = rows.slice(1).filter((r) => !r.skipped);
  const worst = ran.reduce((a, b) => (b.layers + b.heads > a.layers + a.heads ? b : a), ran[0]);
  const verdict = !worst ? ''
    : worst.layers + worst.heads >= real.layers + real.heads
      ? ` The control "${worst.name}" labels as many layers and heads (${worst.layers} and ${worst.heads}) as the real contrast (${real.layers} and ${real.heads}): on this model a label does not tell recall from reasoning apart from which tokens are in the prompt.`
      : ` The most any control labels is ${worst.layers} layers and ${worst.heads} heads ("${worst.name}"), against ${real.layers} and ${real.heads} for the real contrast.`;
  box.append(el('h3', { text: 'The labels beside their controls' }), table,
    el('p', { class: 'note', id: 'study-nulls-verdict', text: 'Controls: the same statistics, thresholds and seed on contrasts where no recall/reasoning mechanism differs.' + verdict
      + ' Labels are correlations either way; the causal effects and the circuits test whether a unit is needed.' }));
}

