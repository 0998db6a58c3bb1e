// Neurons: the MLP neurons of each layer that differ most between recall and
// reasoning prompts, and how their activations are distributed on each. Computed
// by the engine's neurons analysis over the model's suite.
import { figure } from '../charts/figure.js';
import { GROUP_COLORS, histogramPanels } from '../charts/histograms.js';
import { signedBars } from '../charts/signed-bars.js';
import { clear, el, explanation } from '../ui/dom.js';
import { analysisResult } from './common.js';

export const id = 'neurons';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Neurons', 'neurons']];
export const title = 'Neurons';
export const analyses = ['neurons'];

const SHOWN = 6;

const EXPLAIN = 'Each MLP layer has many neurons; some fire on one kind of prompt and not the other. For every '
  + 'neuron this compares its activation at the question mark on recall prompts and on reasoning prompts '
  + '(Cohen\'s d: how many standard deviations apart the two averages are; positive = stronger on reasoning). '
  + 'A neuron is labelled task-specific only when the difference is large and survives a strict correction '
  + 'for testing thousands of neurons at once. Pick a layer to see its neurons\' distributions.';

export function requests(data) {
  return data.model?.suite?.items?.length ? [{ name: 'neurons', settings: {} }] : [{ name: 'neurons', settings: null }];
}

export function mount(container, actions) {
  const counts = el('div', { id: 'neuron-counts' });
  const layerBox = el('div', { class: 'layer-picker', id: 'neuron-layers' });
  const detail = el('div', { id: 'neuron-detail' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN),
    el('section', { class: 'panel' }, [counts]), el('section', { class: 'panel' }, [layerBox, detail]));
  return {
    update(data) {
      for (const b of [counts, layerBox, detail]) clear(b);
      if (!data.model?.suite?.items?.length && !data.report) {
        counts.append(el('p', { class: 'note', text: 'This view needs the model\'s prompt suite (suite.json), which this model does not have.' }));
        return;
      }
      const result = analysisResult(counts, data, 'neurons', 'Neurons');
      if (!result) return;
      const layers = result.layers ?? [];
      const countChart = {
        svg: signedBars({
          rows: layers.map((l) => ({ label: `layer ${l.layer}`, values: [l.recall, l.reasoning] })),
          series: ['labelled recall', 'labelled reasoning'], title: 'Task-specific neurons per layer', xTitle: 'neurons', valueFormat: 'd', width: 560,
          colors: [GROUP_COLORS.recall, GROUP_COLORS.reasoning],
        }),
        rows: layers.map((l) => ({ layer: l.layer, recall: l.recall, reasoning: l.reasoning })),
      };
      counts.append(figure({ title: 'Task-specific neurons per layer', name: 'neuron-counts', chart: countChart, onError: actions.notify,
        caption: `Activation: ${activationText(result.mlp_activation)}. Items: ${describeItems(result.items)}.` }));
      const layer = Math.min(data.state.layer, layers.length - 1);
      layerBox.append(el('span', { text: 'Layer: ' }), ...layers.map((l, i) => el('button', {
        type: 'button', class: `pick${i === layer ? ' on' : ''}`, text: String(l.layer), 'aria-pressed': i === layer ? 'true' : 'false',
        dataset: { layer: String(i) }, onclick: () => actions.set({ layer: i }),
      })));
      const neurons = layers[layer]?.neurons ?? [];
      const top = neurons.slice(0, SHOWN);
      const dChart = {
        svg: signedBars({
          rows: neurons.map((n) => ({ label: `neuron ${n.neuron}${n.label !== 'none' ? ` (${n.label})` : ''}`, values: [n.d ?? 0], highlight: n.label !== 'none',
            colors: [(n.d ?? 0) >= 0 ? GROUP_COLORS.reasoning : GROUP_COLORS.recall] })),
          title: `Layer ${layers[layer]?.layer}: the neurons of largest |d|`, xTitle: 'Cohen\'s d (positive: stronger on reasoning)', width: 560,
        }),
        rows: neurons.map((n) => ({ layer: layers[layer].layer, neuron: n.neuron, d: n.d, p_bonferroni: n.p_bonferroni, mean_recall: n.mean_recall, mean_reasoning: n.mean_reasoning, label: n.label })),
        json: layers[layer],
      };
      const hist = {
        svg: histogramPanels({
          panels: top.map((n) => ({ title: `neuron ${n.neuron} · d = ${n.d === null ? '∞' : n.d.toFixed(2)}`, edges: n.bin_edges,
            groups: Object.fromEntries(['recall', 'reasoning', 'mixed'].filter((g) => n[g]).map((g) => [g, n[g].counts])) })),
          title: 'Activation distributions',
        }),
        rows: top.flatMap((n) => n.bin_edges.slice(0, -1).map((lo, b) => ({ neuron: n.neuron, bin_low: lo, bin_high: n.bin_edges[b + 1], recall: n.recall?.counts[b], reasoning: n.reasoning?.counts[b] }))),
        json: top,
      };
      detail.append(
        figure({ title: `Layer ${layers[layer]?.layer}: most task-specific neurons`, name: `neurons-l${layer}`, chart: dChart, onError: actions.notify,
          caption: 'Orange: stronger on reasoning prompts; blue: on recall prompts. Bold: labelled task-specific (Bonferroni-corrected p and |d| past the thresholds).' }),
        figure({ title: 'How they fire on each kind of prompt', name: `neuron-distributions-l${layer}`, chart: hist, onError: actions.notify,
          caption: 'Share of items per activation bin, for the six neurons of largest |d| in this layer.' }),
      );
    },
  };
}

// The study's item description: {recall, reasoning, mixed, by_kind: {kind: n}}.
export function describeItems(items) {
  if (!items) return 'the suite';
  const kinds = Object.entries(items.by_kind ?? {});
  const groups = `${items.recall ?? 0} recall and ${items.reasoning ?? 0} reasoning prompts`;
  return kinds.length ? `${groups} (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')})` : groups;
}

// "silu(blocks.{l}.mlp.hook_pre)" -> "silu of mlp.hook_pre in each layer" (no template text on screen).
export function activationText(spec) {
  const text = String(spec ?? 'not given');
  const m = /^(\w+)\(blocks\.\{l\}\.([\w.]+)\)$/.exec(text);
  if (m) return `${m[1]} of ${m[2]}, in each layer`;
  return text.replace(/blocks\.\{l\}\./g, '').replace(/[{}]/g, '');
}
