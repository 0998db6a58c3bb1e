// The circuits part of the recall-vs-reasoning view: the recall circuit and the
// reasoning circuit the circuits analysis found, what switching each off does
// to recall and to reasoning on test items the search never saw (normalised
// effect, 95% intervals), where each falls among random circuits of its size
// and mix, and the verdict the engine read from those bounds. The analysis
// runs with the engine's own defaults (its registry); this view keeps none.
import { figure } from '../charts/figure.js';
import { dissociationScatter } from '../charts/dissociation.js';
import { signedBars } from '../charts/signed-bars.js';
import { SERIES } from '../charts/theme.js';
import { el } from '../ui/dom.js';

const FAMILIES = ['recall', 'reasoning'];

// A component in the intervention vocabulary ({label, hook, head?, positions?})
// as a click in the ablation view: whole heads and whole MLPs only, located in
// the model's hook table (engine/hooks.js), never parsed from the name.
export function circuitAblations(components, hooks) {
  const out = [];
  for (const c of components) {
    const where = c.positions || !hooks ? null : hooks.locate(c.hook);
    if (where?.part === 'attn.hook_z' && Number.isInteger(c.head)) out.push({ kind: 'head', layer: where.layer, head: c.head });
    else if (where?.part === 'hook_mlp_out') out.push({ kind: 'mlp', layer: where.layer });
  }
  return out;
}

const fmt = (x) => (x === null || x === undefined ? 'undefined' : x.toFixed(1));
const range = (ci) => `[${fmt(ci?.[0])}, ${fmt(ci?.[1])}]`;

function circuitLine(name, c, hooks, actions) {
  const ablations = circuitAblations(c.components, hooks);
  const clickable = ablations.length === c.components.length;
  const t = c.test;
  return el('li', {}, [
    el('b', { text: `${name} circuit: ` }),
    el('span', { text: c.components.map((x) => x.label).join(', ') }),
    el('span', {
      class: 'note',
      text: ` — on ${t.recall.n} recall and ${t.reasoning.n} reasoning test items: recall effect ${fmt(t.recall.effect)} `
        + `${range(t.recall.effect_ci)}, reasoning effect ${fmt(t.reasoning.effect)} ${range(t.reasoning.effect_ci)} points; `
        + (c.null.n ? `beats ${fmt(c.null.percentile)}% of ${c.null.n} random circuits of its size and mix. `
          : 'no random circuit of its size and mix exists. '),
    }),
    clickable ? el('button', {
      type: 'button', class: 'small', dataset: { circuit: name }, text: 'Try it in the ablation view',
      onclick: () => actions.set({ view: 'ablation', interventions: ablations }),
    }) : null,
  ]);
}

// Every single component, every circuit on the two fronts, the random circuits
// and the two chosen circuits, each on the items it was measured on.
function scatterPoints(result, hooks, actions) {
  const points = [];
  const ablate = (components) => {
    const ablations = circuitAblations(components, hooks);
    return ablations.length === components.length ? () => actions.set({ view: 'ablation', interventions: ablations }) : null;
  };
  const seen = new Set();
  for (const n of FAMILIES) {
    for (const c of result.circuits[n].null?.circuits ?? []) {
      const label = c.components.join(', ');
      if (seen.has(label)) continue;
      seen.add(label);
      points.push({ x: c.recall, y: c.reasoning, label, group: 'random', r: 3 });
    }
  }
  for (const n of FAMILIES) {
    for (const c of result.circuits[n].front ?? []) {
      points.push({ x: c.recall, y: c.reasoning, label: c.components.join(', '), group: 'front', color: '#9db7d5', r: 3 });
    }
  }
  for (const c of result.candidates ?? []) {
    points.push({ x: c.selection.recall, y: c.selection.reasoning, label: c.component.label, group: 'single', color: SERIES[2],
      onClick: ablate([c.component]) });
  }
  FAMILIES.forEach((n, i) => {
    const c = result.circuits[n];
    points.push({ x: c.test.recall.effect, y: c.test.reasoning.effect, xci: c.test.recall.effect_ci, yci: c.test.reasoning.effect_ci,
      label: `${n} circuit: ${c.components.map((x) => x.label).join(', ')}`, group: 'chosen', color: SERIES[i], r: 6,
      onClick: ablate(c.components) });
  });
  return points;
}

function dissociationFigure(result, hooks, actions) {
  const points = scatterPoints(result, hooks, actions);
  const items = result.items ?? {};
  const count = (set) => (set?.kinds ?? []).reduce((a, k) => a + k.n, 0);
  const legend = [
    { text: `random circuits of the chosen sizes and mixes (${count(items.null)} items)` },
    { text: `single components and circuits on the search's front (${count(items.selection)} selection items)`, color: SERIES[2] },
    { text: `the recall and reasoning circuits (${count(items.test)} test items, 95% intervals)`, color: SERIES[0] },
  ];
  const chart = {
    svg: dissociationScatter({ points, title: 'Recall effect against reasoning effect', legend }),
    rows: points.map(({ x, y, xci, yci, label, group }) => ({ group, label, recall: x, reasoning: y,
      recall_low: xci?.[0], recall_high: xci?.[1], reasoning_low: yci?.[0], reasoning_high: yci?.[1] })),
    json: result,
  };
  return figure({
    title: 'Dissociation explorer', name: 'circuits-dissociation', chart, onError: actions.notify,
    caption: 'Each point is a set of components switched off: its effect on recall (right) against its effect on '
      + 'reasoning (up). On the dashed diagonal both suffer alike; a separating circuit must sit in a shaded box '
      + '(its own family at least 30 points, the other at most 5). Click a single component or a circuit to switch it '
      + 'off in the ablation view.',
  });
}

// `hooks`: the loaded model's hook table, where a circuit's components are located (none: no buttons).
export function circuitsSection(box, result, hooks, actions) {
  const names = FAMILIES.filter((n) => result.circuits?.[n]);
  const rows = names.map((n) => {
    const t = result.circuits[n].test;
    return { label: `${n} circuit off`, values: FAMILIES.map((f) => t[f].effect), intervals: FAMILIES.map((f) => t[f].effect_ci) };
  });
  const chart = {
    svg: signedBars({
      rows, series: FAMILIES.map((f) => `${f} effect`), title: 'Selective impairment',
      xTitle: 'effect on test items, points (0 intact, 100 answer and foil tied; 95% interval)', valueFormat: '.0f',
    }),
    rows: names.flatMap((n) => FAMILIES.map((f) => {
      const F = result.circuits[n].test[f];
      return {
        circuit: n, family: f, n: F.n, effect: F.effect, effect_low: F.effect_ci[0], effect_high: F.effect_ci[1],
        drop: F.drop, drop_low: F.ci[0], drop_high: F.ci[1], accuracy_intact: F.accuracy.intact, accuracy_ablated: F.accuracy.ablated,
      };
    })),
    json: result,
  };
  const m = result.method ?? {};
  const contrast = result.contrast ?? {};
  box.append(...[
    el('p', { class: result.separated ? 'verdict good' : 'verdict', id: 'separation', text: result.statement ?? '' }),
    figure({
      title: 'Switch a circuit off: what breaks?', name: 'circuits-impairment', chart, onError: actions.notify,
      caption: `Each circuit was searched (${m.search ?? '?'}, ${m.objective ?? ''}) on selection items, its size chosen on `
        + `validation items, and is shown here on test items only (${m.ablation ?? '?'} ablation). Whiskers: 95% bootstrap `
        + `intervals. Double-dissociation contrast ${fmt(contrast.value)} points ${range(contrast.ci)}.`,
    }),
    el('ul', { class: 'circuit-list' }, names.map((n) => circuitLine(n, result.circuits[n], hooks, actions))),
    names.length === 2 ? dissociationFigure(result, hooks, actions) : null,
  ].filter(Boolean));
}
