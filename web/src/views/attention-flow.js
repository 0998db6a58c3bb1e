// Attention flow: how much each input token can reach the answer position
// through the stack of attention layers — attention rollout layer by layer, and
// max-flow (Abnar & Zuidema 2020). Computed by the engine's attention-flow analysis.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { clear, el, explanation, tokenLabel } from '../ui/dom.js';
import { analysisResult, focusSettings, positionLabels } from './common.js';

export const id = 'flow';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Attention rollout and attention flow', 'attention-rollout-and-attention-flow']];
export const title = 'Attention flow';
export const analyses = ['attention-flow'];

const EXPLAIN = 'One attention head only shows one step. To see where the answer\'s information can come from, '
  + 'follow attention back through every layer. Rollout multiplies the layers\' attention (with the residual '
  + 'connection counted as attention to oneself); max-flow treats attention as pipes and asks how much can flow '
  + 'from the last token back to each input token. Darker cells: that input token can reach the answer more.';

export function requests(data) {
  return [{ name: 'attention-flow', settings: focusSettings(data) }];
}

export function mount(container, actions) {
  const body = el('div', { class: 'flow-body' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN), el('section', { class: 'panel' }, [body]));
  return {
    update(data) {
      clear(body);
      const result = analysisResult(body, data, 'attention-flow', 'Attention flow');
      if (!result) return;
      if (result.mode === 'suite') return suiteFlow(body, result, actions);
      promptFlow(body, result, actions);
    },
  };
}

function row(tensor, r) {
  const [, cols] = tensor.shape;
  return tensor.data.slice(r * cols, (r + 1) * cols);
}

function promptFlow(body, result, actions) {
  const tokens = result.case.tokens;
  const T = tokens.length;
  const last = T - 1;
  const cols = positionLabels(tokens);
  const layers = result.rollout.rollout;
  const rolloutRows = layers.map((t) => row(t, last));
  const rollout = {
    svg: matrixHeatmap({
      rows: layers.map((_, l) => `after layer ${l}`), cols, value: (r, c) => rolloutRows[r][c],
      title: 'Attention rollout to the last token', xTitle: 'input token', yTitle: 'layer', legendTitle: 'share', valueFormat: '.0%',
    }),
    rows: rolloutRows.flatMap((v, l) => v.map((share, j) => ({ layer: l, position: j, token: tokens[j], share }))),
    json: { tokens, position: last, rollout: rolloutRows },
  };
  const positions = result.flow.positions;
  const flowRow = positions.indexOf(last);
  const flowShares = flowRow >= 0 ? row(result.flow.flow, flowRow) : [];
  const both = [rolloutRows[rolloutRows.length - 1], flowShares];
  const compare = {
    svg: matrixHeatmap({
      rows: ['rollout', 'max-flow'], cols, value: (r, c) => both[r][c] ?? null,
      title: 'Rollout and max-flow from the last token', xTitle: 'input token', legendTitle: 'share', valueFormat: '.0%',
      text: (r, c) => (both[r][c] >= 0.1 ? `${Math.round(both[r][c] * 100)}` : null),
    }),
    rows: tokens.map((t, j) => ({ position: j, token: t, rollout: both[0][j], max_flow: both[1][j] })),
    json: { tokens, position: last, rollout: both[0], max_flow: both[1], flow_layer: result.flow.layer },
  };
  const top = Array.from(flowShares.keys()).sort((a, b) => flowShares[b] - flowShares[a]).slice(0, 3);
  body.append(
    figure({ title: 'From the last token back to the input', name: 'attention-flow', chart: compare, onError: actions.notify,
      caption: `Max-flow from "${tokenLabel(tokens[last])}" (position ${last}) after all ${result.flow.layer} layers reaches most: `
        + `${top.map((j) => `"${tokenLabel(tokens[j])}" ${Math.round(flowShares[j] * 100)}%`).join(', ')}. Numbers in cells are percentages.` }),
    figure({ title: 'Rollout, layer by layer', name: 'attention-rollout', chart: rollout, onError: actions.notify,
      caption: 'Each row is the rollout after that layer: how the last token\'s sources spread as layers are added.' }),
  );
}

function suiteFlow(body, result, actions) {
  for (const [kind, k] of Object.entries(result.by_kind ?? {})) {
    const nPos = k.n_pos;
    const cols = Array.from({ length: nPos }, (_, j) => `position ${j}`);
    const series = [k.rollout.slice(-nPos), k.flow.slice(-nPos)];
    const chart = {
      svg: matrixHeatmap({ rows: ['rollout', 'max-flow'], cols, value: (r, c) => series[r][c], title: `Flow for ${kind}`, xTitle: 'input position', legendTitle: 'share', valueFormat: '.0%' }),
      rows: cols.map((_, j) => ({ kind, position: j, rollout: series[0][j], max_flow: series[1][j] })),
      json: { kind, ...k },
    };
    body.append(figure({ title: `${kind} (${k.family}, ${k.n} prompts)`, name: `attention-flow-${kind}`, chart, onError: actions.notify,
      caption: 'Averaged over the suite\'s prompts of this kind, from the last token.' }));
  }
}
