// Activation patching: clean/corrupt prompt pairs of one kind; one activation of
// the clean run is copied into the corrupt run, and the share of the clean
// answer's margin that comes back is shown per layer × position and per head.
// Computed by the engine's patching sweep, split across the worker pool.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { clear, el, explanation, tokenLabel } from '../ui/dom.js';
import { TIME_BUDGET_SECONDS, analysisResult, checkedCount, unitGrid } from './common.js';

export const id = 'patching';
// Sections of docs/methods.md (the site's methods.html) that define what the view shows.
export const methods = [['Activation patching', 'activation-patching'], ['Causal tracing', 'causal-tracing']];
export const title = 'Patching';
export const analyses = ['patching'];

export const PAIRS_PER_KIND = 16;

const EXPLAIN = 'Take a prompt and a corrupted copy that differs in one detail and has another answer. Run the '
  + 'corrupted one, but copy a single activation — one layer at one position, or one head — from the clean run. '
  + 'If the clean answer comes back, that activation carries the information that matters. 100% means the patch '
  + 'alone restores the clean answer\'s lead over the corrupt answer; 0% means it carries none of it.';

function kindOf(data) {
  return data.prompt?.item?.kind ?? data.model?.suite?.items?.[0]?.kind ?? null;
}

export function requests(data) {
  const kind = kindOf(data);
  if (!kind || !data.model?.suite?.items?.length) return [{ name: 'patching', settings: null }];
  return [{ name: 'patching', settings: { kinds: [kind], items_per_kind: PAIRS_PER_KIND, levels: ['resid', 'head', 'attn_pos', 'mlp_pos'], budget_seconds: TIME_BUDGET_SECONDS } }];
}

export function mount(container, actions) {
  const pair = el('div', { class: 'pair-text', id: 'patching-pair' });
  const body = el('div', { id: 'patching-body' });
  container.append(el('h2', { text: 'Activation patching' }), explanation(EXPLAIN),
    el('section', { class: 'panel' }, [pair]), el('section', { class: 'panel' }, [body]));
  return {
    update(data) {
      clear(pair);
      clear(body);
      const item = data.prompt?.item;
      if (item?.corrupt) {
        pair.append(el('h3', { text: 'An example pair of this kind' }), el('dl', { class: 'pair-list' }, [
          el('dt', { text: 'clean' }), el('dd', { text: `${item.prompt} → ${item.answer}` }),
          el('dt', { text: 'corrupt' }), el('dd', { text: `${item.corrupt} → ${item.corruptAnswer ?? '?'}` }),
        ]));
      } else if (!data.report) {
        pair.append(el('p', { class: 'note', text: 'Patching works on the suite\'s clean/corrupt pairs: pick a suite item in the Model & prompt view to choose the kind.' }));
      }
      const result = analysisResult(body, data, 'patching', 'Patching');
      if (result) draw(body, result, data, actions);
    },
  };
}

function draw(body, result, data, actions) {
  const kind = result.items?.kinds?.[0]?.kind ?? Object.keys(result.pairs?.by_kind ?? {})[0];
  const units = Array.isArray(result.units) ? result.units : [];
  const info = data.model?.info;
  const maxPos = info?.n_ctx ?? 1024;
  const maxLayers = info?.n_layers ?? 256;
  const nPos = checkedCount(result.items?.n_pos ?? 0, maxPos, 'the number of positions (n_pos)');
  const tokens = data.prompt?.item?.kind === kind ? data.prompt.tokens : null;
  const cols = Array.from({ length: nPos }, (_, p) => (tokens?.[p] !== undefined ? `${tokenLabel(tokens[p])} ${p}` : `position ${p}`));
  const recovery = (u) => u?.recovery?.by_kind?.[kind] ?? null;
  const clamp = (v) => (Number.isFinite(v) ? Math.max(-1, Math.min(1.5, v)) : null);
  const pairs = result.pairs?.by_kind?.[kind];
  const pairText = pairs ? `${pairs.used} of ${pairs.n} "${kind}" pairs (${pairs.skipped} skipped: too small a gap)` : `"${kind}" pairs`;
  const ofLevel = (level) => units.filter((u) => u?.level === level);
  const text = (v) => (!Number.isFinite(v) || Math.round(v * 100) === 0 ? '' : `${Math.round(v * 100)}`);
  const cellSize = Math.max(30, Math.min(44, Math.floor(700 / Math.max(nPos, 1))));

  const resid = unitGrid(ofLevel('resid'), (u) => u.boundary, (u) => u.position,
    { maxRows: maxLayers + 1, maxCols: nPos, rowWhat: 'a residual boundary', colWhat: 'a position' });
  if (resid.rows) {
    const rows = Array.from({ length: resid.rows }, (_, i) => resid.rows - 1 - i);
    const chart = {
      svg: matrixHeatmap({ rows: rows.map((b) => (b === 0 ? 'embeddings' : `after layer ${b - 1}`)), cols,
        value: (r, c) => clamp(recovery(resid.at(rows[r], c))), kind: 'diverging', palette: 'signed', domain: [-1, 0, 1],
        title: 'Residual stream: layer × position', xTitle: 'position', yTitle: 'patched at', legendTitle: 'recovery', valueFormat: '.0%',
        text: (r, c) => text(recovery(resid.at(rows[r], c))), cell: cellSize }),
      rows: ofLevel('resid').map((u) => ({ boundary: u.boundary, position: u.position, hook: u.hook, recovery: recovery(u) })),
      json: result,
    };
    body.append(figure({ title: 'Where the difference travels', name: 'patching-resid', chart, onError: actions.notify,
      caption: `Mean recovery over ${pairText}. Teal: the patch brings the clean answer back; brown: it pushes further away. Numbers in cells are percentages (blank: none). A path of teal cells from the changed word to the last position shows how the information moves.` }));
  }
  for (const [level, label] of [['attn_pos', 'Attention output'], ['mlp_pos', 'MLP output']]) {
    const m = unitGrid(ofLevel(level), (u) => u.layer, (u) => u.position, { maxRows: maxLayers, maxCols: nPos, rowWhat: 'a layer', colWhat: 'a position' });
    if (!m.rows) continue;
    const rows = Array.from({ length: m.rows }, (_, i) => m.rows - 1 - i);
    const chart = {
      svg: matrixHeatmap({ rows: rows.map((l) => `layer ${l}`), cols, value: (r, c) => clamp(recovery(m.at(rows[r], c))), kind: 'diverging', palette: 'signed', domain: [-1, 0, 1],
        title: `${label}: layer × position`, xTitle: 'position', yTitle: 'layer', legendTitle: 'recovery', valueFormat: '.0%',
        text: (r, c) => text(recovery(m.at(rows[r], c))), cell: cellSize }),
      rows: ofLevel(level).map((u) => ({ layer: u.layer, position: u.position, recovery: recovery(u) })),
    };
    body.append(figure({ title: `${label} by layer and position`, name: `patching-${level}`, chart, onError: actions.notify, caption: `Mean recovery over ${pairText}.` }));
  }
  const heads = unitGrid(ofLevel('head'), (u) => u.layer, (u) => u.head, { maxRows: maxLayers, maxCols: info?.n_heads ?? 256, rowWhat: 'a layer', colWhat: 'a head' });
  if (heads.rows) {
    const chart = {
      svg: matrixHeatmap({ rows: Array.from({ length: heads.rows }, (_, l) => `layer ${l}`), cols: Array.from({ length: heads.cols }, (_, h) => `head ${h}`),
        value: (l, h) => clamp(recovery(heads.at(l, h))), kind: 'diverging', palette: 'signed', domain: [-1, 0, 1], title: 'Heads', xTitle: 'head', yTitle: 'layer',
        legendTitle: 'recovery', valueFormat: '.0%', text: (l, h) => text(recovery(heads.at(l, h))), cell: 56 }),
      rows: ofLevel('head').map((u) => ({ layer: u.layer, head: u.head, recovery: recovery(u) })),
    };
    body.append(figure({ title: 'Each head, at every position', name: 'patching-heads', chart, onError: actions.notify, caption: `Mean recovery over ${pairText} when one head's output is patched.` }));
  }
}
