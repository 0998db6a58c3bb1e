// Attention: every head of every layer as a small heatmap, and one head's pattern
// in detail with the prompt's tokens on both axes.
import { figure } from '../charts/figure.js';
import { attentionDetail, attentionGrid } from '../charts/heatmap.js';
import { clear, el, explanation, tokenLabel } from '../ui/dom.js';

export const id = 'attention';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Attention patterns', 'attention-patterns']];
export const title = 'Attention';

const EXPLAIN = 'Each attention head lets every token look back at earlier tokens and copy information '
  + 'from them. A square shows one head: row = the token that is looking, column = the token it looks '
  + 'at, darker = more attention. Heads in early layers often look at the previous token; heads that '
  + 'move a fact or a name to the question mark at the end are the ones that matter for the answer. '
  + 'Click a square to see it in detail.';

export function mount(container, actions) {
  const body = el('div', { class: 'attention-body' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN), body);
  return {
    update(data) {
      clear(body);
      const p = data.clean?.patterns;
      if (!p) {
        body.append(el('p', { class: data.runError ? 'error' : 'loading', text: data.runError ?? (data.model ? 'Running the model…' : 'Open a model first.') }));
        return;
      }
      const { nLayers, nHeads, T, get } = p;
      const layer = Math.min(data.state.layer, nLayers - 1);
      const head = Math.min(data.state.head, nHeads - 1);
      const tokens = data.prompt.tokens;
      const grid = {
        svg: attentionGrid({ nLayers, nHeads, T, pattern: get, selected: { layer, head }, onPick: (l, h) => actions.set({ layer: l, head: h }) }),
        rows: gridRows(p, tokens),
        json: { tokens, shape: [nLayers, nHeads, T, T], patterns: Array.from({ length: nLayers }, (_, l) => Array.from({ length: nHeads }, (_, h) => rowsOf(get(l, h), T))) },
      };
      const detailData = get(layer, head);
      const detail = {
        svg: attentionDetail({ tokens, data: detailData, title: `Layer ${layer}, head ${head}` }),
        rows: pairRows(detailData, tokens),
        json: { layer, head, tokens, pattern: rowsOf(detailData, T) },
      };
      const last = T - 1;
      let best = 0;
      for (let k = 1; k <= last; k++) if (detailData[last * T + k] > detailData[last * T + best]) best = k;
      body.append(
        figure({ title: 'Every layer × head', name: 'attention-grid', chart: grid, onError: actions.notify,
          caption: `${nLayers} layers × ${nHeads} heads over ${T} tokens. The selected head has a dark frame; darker purple: more attention.` }),
        el('div', { class: 'detail', id: 'attention-detail' }, [
          figure({ title: `Layer ${layer}, head ${head}`, name: `attention-l${layer}-h${head}`, chart: detail, onError: actions.notify,
            caption: `From the last token, this head looks most at "${tokenLabel(tokens[best])}" (position ${best}), `
              + `with ${(detailData[last * T + best] * 100).toFixed(0)}% of its attention.` }),
        ]),
      );
    },
  };
}

function rowsOf(data, T) {
  return Array.from({ length: T }, (_, q) => Array.from(data.subarray(q * T, q * T + T), (v) => Number(v.toPrecision(6))));
}

function pairRows(data, tokens) {
  const T = tokens.length;
  const rows = [];
  for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) rows.push({ query: q, query_token: tokens[q], key: k, key_token: tokens[k], attention: data[q * T + k] });
  return rows;
}

function gridRows(p, tokens) {
  const rows = [];
  for (let l = 0; l < p.nLayers; l++) {
    for (let h = 0; h < p.nHeads; h++) {
      const d = p.get(l, h);
      for (let q = 0; q < p.T; q++) for (let k = 0; k <= q; k++) rows.push({ layer: l, head: h, query: q, key: k, query_token: tokens[q], key_token: tokens[k], attention: d[q * p.T + k] });
    }
  }
  return rows;
}
