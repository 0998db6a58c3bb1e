// Recall vs reasoning: the study's statistics per layer and per head (does a
// unit behave differently on recall and on reasoning prompts?) beside the causal
// effects (what switching it off costs each), then the two circuits and the
// selective-impairment test. Computed by the engine's study, ablation and
// circuits analyses over the model's suite.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { signedBars } from '../charts/signed-bars.js';
import { clear, el, explanation } from '../ui/dom.js';
import { SWEEP_SETTINGS } from './ablation.js';
import { TIME_BUDGET_SECONDS, analysisResult, resultOrPreview } from './common.js';
import { circuitsSection } from './circuits.js';
import { studyNulls, studyTotals } from './study.js';

export const id = 'study';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['The study', 'the-study-strata-is-built-around'], ['Its statistics', 'the-studys-statistics'], ['Null contrasts', 'null-contrasts'], ['Circuits', 'circuits-and-selective-impairment'], ['Percentile bootstrap', 'percentile-bootstrap']];
export const title = 'Recall vs reasoning';
export const analyses = ['study', 'circuits'];

const EXPLAIN = 'Do some layers and heads work mostly for recalling facts and others for reasoning over the prompt? '
  + 'The statistics (left) compare how each unit behaves on recall prompts and on reasoning prompts: Cohen\'s d '
  + 'for each measure (positive = higher on reasoning), corrected for testing many units, and a label when enough '
  + 'measures agree. Behaving differently is not the same as being needed, so the causal effects (right) show '
  + 'what switching the unit off costs each kind of prompt. Finally the circuits: a search for the components '
  + 'whose removal breaks one family and spares the other, judged on held-back items against random circuits.';

const LABEL_TEXT = { recall: 'recall', reasoning: 'reason', mixed: 'mixed', none: '' };

// Whole-suite analyses, quickest parts first so that the view draws at once and
// fills in: previews of the layers' causal effects (on PREVIEW_ITEMS items of
// each kind, said so in the caption) and of the real contrast's
// statistics (the study without its controls gives the same labels), then the
// full sweep and study, then the circuits.
const PREVIEW_ITEMS = 8;

export function requests(data) {
  const has = Boolean(data.model?.suite?.items?.length);
  const when = (settings) => (has ? settings : null);
  return [
    { name: 'ablation', settings: when({ ...SWEEP_SETTINGS, levels: ['layer'], items_per_kind: PREVIEW_ITEMS }), preview: true },
    { name: 'study', settings: when({ nulls: false }), preview: true },
    { name: 'ablation', settings: when(SWEEP_SETTINGS) },
    { name: 'study', settings: when({}) },
    { name: 'circuits', settings: when({ budget_seconds: TIME_BUDGET_SECONDS }) },  // else the engine's defaults
  ];
}

export function mount(container, actions) {
  const layers = el('div', { class: 'pair', id: 'study-layers' });
  const heads = el('div', { class: 'pair', id: 'study-heads' });
  const circuits = el('div', { id: 'study-circuits' });
  const totals = el('div', { id: 'study-totals' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN),
    el('section', { class: 'panel' }, [el('h3', { text: 'Layers' }), layers]),
    el('section', { class: 'panel' }, [el('h3', { text: 'Heads' }), heads]),
    el('section', { class: 'panel' }, [el('h3', { text: 'Circuits and selective impairment' }), circuits]),
    el('section', { class: 'panel' }, [totals]));
  return {
    update(data) {
      for (const b of [layers, heads, circuits, totals]) clear(b);
      if (!data.model?.suite?.items?.length && !data.report) {
        layers.append(el('p', { class: 'note', text: 'This view needs the model\'s prompt suite (suite.json), which this model does not have.' }));
        return;
      }
      const left = [el('div'), el('div')];
      const right = [el('div'), el('div')];
      layers.append(left[0], right[0]);
      heads.append(left[1], right[1]);
      const study = resultOrPreview(left[0], data, 'study', 'Study');
      const ablation = resultOrPreview(right[0], data, 'ablation', 'Ablation sweep');
      if (study) {
        studyLayers(left[0], study.result, actions);
        studyHeads(left[1], study.result, actions);
        studyTotals(totals, study.result);
        if (!study.partial) studyNulls(totals, study.result);
      }
      if (ablation) {
        causalLayers(right[0], ablation.result, ablation.partial, actions);
        causalHeads(right[1], ablation.result, actions);
      }
      const circuitResult = analysisResult(circuits, data, 'circuits', 'Circuits');
      if (circuitResult) circuitsSection(circuits, circuitResult, data.model?.hooks, actions);
    },
  };
}

function metricNames(units) {
  return Object.keys(units[0]?.metrics ?? {}).filter((m) => units[0].metrics[m].votes !== false);
}

function clampD(d) {
  return d === null ? null : Math.max(-4, Math.min(4, d));
}

function studyLayers(box, study, actions) {
  const layers = study.layers ?? [];
  const metrics = metricNames(layers);
  const d = (r, c) => layers[r].metrics[metrics[c]].d;
  const chart = {
    svg: matrixHeatmap({
      rows: layers.map((l) => `layer ${l.layer}${l.label !== 'none' ? ` · ${l.label}${l.consistent ? '' : ' (unstable)'}` : ''}`),
      cols: metrics.map((m) => m.replace(/_/g, ' ')), value: (r, c) => clampD(d(r, c)), kind: 'diverging', domain: [-4, 0, 4],
      title: 'Cohen\'s d per layer and measure', xTitle: 'measure', legendTitle: 'd (reasoning − recall)', valueFormat: '.1f', cell: 46,
      text: (r, c) => (d(r, c) === null ? '∞' : `${d(r, c).toFixed(1)}${layers[r].metrics[metrics[c]].vote ? '*' : ''}`),
    }),
    rows: layers.flatMap((l) => metrics.map((m) => ({ layer: l.layer, metric: m, ...l.metrics[m], label: l.label, consistency: l.consistency }))),
    json: layers,
  };
  box.append(figure({ title: 'Statistics: layers', name: 'study-layers', chart, onError: actions.notify,
    caption: '* a measure that votes (|d| and corrected p past the thresholds). Red: higher on reasoning; blue: higher on recall. The label needs enough votes, and replicates on two disjoint halves of the items unless marked unstable; the control contrasts below show what the same statistics label where nothing should differ.' }));
}

function studyHeads(box, study, actions) {
  const heads = study.heads ?? [];
  if (!heads.length) return;
  const nLayers = Math.max(...heads.map((h) => h.layer)) + 1;
  const nHeads = Math.max(...heads.map((h) => h.head)) + 1;
  const at = (l, h) => heads.find((x) => x.layer === l && x.head === h);
  const chart = {
    svg: matrixHeatmap({
      rows: Array.from({ length: nLayers }, (_, l) => `layer ${l}`), cols: Array.from({ length: nHeads }, (_, h) => `head ${h}`),
      value: (l, h) => (at(l, h) ? at(l, h).votes_reasoning - at(l, h).votes_recall : null), kind: 'diverging', domain: [-5, 0, 5],
      title: 'Votes per head', xTitle: 'head', yTitle: 'layer', legendTitle: 'reasoning − recall votes', valueFormat: 'd', cell: 56,
      text: (l, h) => LABEL_TEXT[at(l, h)?.label] ?? '',
    }),
    rows: heads.map((h) => ({ layer: h.layer, head: h.head, label: h.label, votes_recall: h.votes_recall, votes_reasoning: h.votes_reasoning, consistency: h.consistency })),
    json: heads,
  };
  box.append(figure({ title: 'Statistics: heads', name: 'study-heads', chart, onError: actions.notify,
    caption: 'Each head\'s five measures vote recall or reasoning; the text is the label when enough agree.' }));
}

function families(ablation) {
  const f = ablation.items?.families ?? Object.keys(ablation.baseline?.by_family ?? {});
  return f.includes('recall') && f.includes('reasoning') ? ['recall', 'reasoning'] : f;
}

function causalLayers(box, ablation, partial, actions) {
  const fam = families(ablation);
  const units = (ablation.units ?? []).filter((u) => u.level === 'layer');
  const chart = {
    svg: signedBars({ rows: units.map((u) => ({ label: `layer ${u.layer}`, values: fam.map((f) => u.drop.by_family[f]) })),
      series: fam.map((f) => `${f} drop`), title: 'Accuracy drop when a layer is switched off', xTitle: 'accuracy drop', valueFormat: '.0%', width: 460 }),
    rows: units.map((u) => ({ layer: u.layer, ...Object.fromEntries(fam.map((f) => [`drop_${f}`, u.drop.by_family[f]])) })),
  };
  box.append(figure({ title: 'Causal: layers', name: 'study-causal-layers', chart, onError: actions.notify,
    caption: `Accuracy lost when a layer's heads and MLP are zeroed, over ${itemCount(ablation)} items`
      + (partial ? ' (a first look on a few items of each kind; the whole sweep replaces it when done).' : '.') }));
}

function itemCount(ablation) {
  return (ablation.items?.kinds ?? []).reduce((n, k) => n + k.n, 0);
}

function causalHeads(box, ablation, actions) {
  const fam = families(ablation);
  const heads = (ablation.units ?? []).filter((u) => u.level === 'head');
  if (!heads.length || fam.length < 2) return;
  const nLayers = Math.max(...heads.map((u) => u.layer)) + 1;
  const nHeads = Math.max(...heads.map((u) => u.head)) + 1;
  const at = (l, h) => heads.find((u) => u.layer === l && u.head === h);
  const chart = {
    svg: matrixHeatmap({
      rows: Array.from({ length: nLayers }, (_, l) => `layer ${l}`), cols: Array.from({ length: nHeads }, (_, h) => `head ${h}`),
      value: (l, h) => (at(l, h) ? at(l, h).drop.by_family[fam[1]] - at(l, h).drop.by_family[fam[0]] : null), kind: 'diverging', domain: [-1, 0, 1],
      title: 'Causal effect per head', xTitle: 'head', yTitle: 'layer', legendTitle: `${fam[1]} − ${fam[0]} drop`, valueFormat: '.0%', cell: 56,
      text: (l, h) => (at(l, h) ? `${Math.round(at(l, h).drop.by_family[fam[0]] * 100)}/${Math.round(at(l, h).drop.by_family[fam[1]] * 100)}` : ''),
    }),
    rows: heads.map((u) => ({ layer: u.layer, head: u.head, ...Object.fromEntries(fam.map((f) => [`drop_${f}`, u.drop.by_family[f]])) })),
  };
  box.append(figure({ title: 'Causal: heads', name: 'study-causal-heads', chart, onError: actions.notify,
    caption: `Text: ${fam[0]} drop / ${fam[1]} drop in points. Same colours as the statistics: blue hurts ${fam[0]} more, red ${fam[1]}.` }));
}
