// The circuits part of the recall-vs-reasoning view: the recall circuit and the
// reasoning circuit the circuits analysis selected, what switching each off
// whole does to recall and to reasoning (95% bootstrap intervals, on items the
// selection never saw), and whether the two separate.
import { figure } from '../charts/figure.js';
import { signedBars } from '../charts/signed-bars.js';
import { el, percent } from '../ui/dom.js';

// Zero ablation, as a click in the ablation view, so a circuit can be tried there.
export const CIRCUIT_SETTINGS = { method: 'zero' };

// "L1H2" -> head, "L0 mlp" -> MLP; other components (attention blocks) have no click form.
export function circuitAblations(components) {
  const out = [];
  for (const c of components) {
    let m = /^L(\d+)H(\d+)$/.exec(c);
    if (m) out.push({ kind: 'head', layer: +m[1], head: +m[2] });
    else if ((m = /^L(\d+) mlp$/.exec(c))) out.push({ kind: 'mlp', layer: +m[1] });
  }
  return out;
}

export function circuitsSection(box, result, actions) {
  const names = ['recall', 'reasoning'].filter((n) => result.circuits?.[n]);
  const families = ['recall', 'reasoning'];
  const rows = names.map((n) => {
    const ev = result.circuits[n].evaluation;
    return { label: `${n} circuit off`, values: families.map((f) => ev[f].drop.value), intervals: families.map((f) => ev[f].drop.ci) };
  });
  const chart = {
    svg: signedBars({ rows, series: families.map((f) => `${f} accuracy drop`), title: 'Selective impairment', xTitle: 'accuracy drop on held-back items (95% interval)', valueFormat: '.0%' }),
    rows: names.flatMap((n) => families.map((f) => {
      const F = result.circuits[n].evaluation[f];
      return { circuit: n, family: f, n: F.n, baseline: F.baseline.accuracy, ablated: F.ablated.accuracy, drop: F.drop.value, drop_low: F.drop.ci[0], drop_high: F.drop.ci[1] };
    })),
    json: result,
  };
  const holds = result.separation?.holds;
  box.append(
    el('p', { class: holds ? 'verdict good' : 'verdict', id: 'separation', text: result.separation?.statement ?? (holds ? 'The circuits separate.' : 'The circuits do not separate.') }),
    figure({ title: 'Switch a circuit off: what breaks?', name: 'circuits-impairment', chart, onError: actions.notify,
      caption: 'Each circuit is switched off whole on items the selection never used; whiskers are 95% bootstrap intervals of the drop.' }),
    el('ul', { class: 'circuit-list' }, names.map((n) => {
      const c = result.circuits[n];
      const ablations = circuitAblations(c.components);
      return el('li', {}, [
        el('b', { text: `${n} circuit: ` }),
        el('span', { text: c.components.length ? c.components.join(', ') : 'empty (no component met the rule)' }),
        el('span', { class: 'note', text: ` — on the selection items it drops ${n} by ${percent(c.selection.target_drop)} and the other by ${percent(c.selection.other_drop)}. ` }),
        ablations.length ? el('button', { type: 'button', class: 'small', dataset: { circuit: n }, text: 'Try it in the ablation view',
          onclick: () => actions.set({ view: 'ablation', interventions: ablations }) }) : null,
      ]);
    })),
  );
}
