// Attention heatmaps: the grid of every layer × head at a glance, and one head's
// token-to-token pattern in detail. Rows are query positions (the token doing the
// looking), columns key positions (the token looked at).
import { axisLeft, axisTop } from 'd3-axis';
import { scaleBand, scaleSequential } from 'd3-scale';
import { interpolatePurples } from 'd3-scale-chromatic';
import { create } from 'd3-selection';

import { tokenLabel } from '../ui/dom.js';
import { FONT, INK, MUTED, SELECTED } from './theme.js';

const color = scaleSequential(interpolatePurples).domain([0, 1]);

// Long prompts are drawn at most MAX_BINS × MAX_BINS per small heatmap: each cell
// shows the largest attention in its block, so sharp heads stay visible.
const MAX_BINS = 32;

function binned(data, T, bins) {
  const cells = [];
  const edge = (i) => Math.floor((i * T) / bins);
  for (let bq = 0; bq < bins; bq++) {
    for (let bk = 0; bk <= bq; bk++) {
      let v = 0;
      for (let q = edge(bq); q < edge(bq + 1); q++) for (let k = edge(bk); k < Math.min(edge(bk + 1), q + 1); k++) v = Math.max(v, data[q * T + k]);
      cells.push([bq, bk, v]);
    }
  }
  return cells;
}

// pattern(layer, head) -> Float32Array of T*T (row-major, query × key).
export function attentionGrid({ nLayers, nHeads, T, pattern, selected, onPick, cell = 84 }) {
  const gap = 14;
  const margin = { top: 34, left: 64, right: 8, bottom: 8 };
  const width = margin.left + nHeads * (cell + gap) + margin.right;
  const height = margin.top + nLayers * (cell + gap) + margin.bottom;
  const bins = Math.min(T, MAX_BINS);
  const px = cell / bins;
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 12).attr('fill', INK).attr('role', onPick ? 'group' : 'img')
    .attr('aria-label', 'Attention patterns of every layer and head');
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  for (let h = 0; h < nHeads; h++) {
    svg.append('text').attr('x', margin.left + h * (cell + gap) + cell / 2).attr('y', 20).attr('text-anchor', 'middle').text(`head ${h}`);
  }
  for (let l = 0; l < nLayers; l++) {
    svg.append('text').attr('x', margin.left - 8).attr('y', margin.top + l * (cell + gap) + cell / 2).attr('dy', '0.35em')
      .attr('text-anchor', 'end').text(`layer ${l}`);
    for (let h = 0; h < nHeads; h++) {
      const data = pattern(l, h);
      const g = svg.append('g').attr('class', 'head-map')
        .attr('transform', `translate(${margin.left + h * (cell + gap)},${margin.top + l * (cell + gap)})`)
        .attr('data-layer', l).attr('data-head', h).attr('tabindex', 0).attr('role', 'button')
        .attr('aria-label', `layer ${l} head ${h}`);
      const cells = binned(data, T, bins);
      g.append('rect').attr('width', cell).attr('height', cell).attr('fill', '#f4f5f8');
      g.selectAll('rect.c').data(cells).join('rect').attr('class', 'c')
        .attr('x', (d) => d[1] * px).attr('y', (d) => d[0] * px).attr('width', px + 0.3).attr('height', px + 0.3)
        .attr('fill', (d) => color(d[2]));
      const isSelected = selected && selected.layer === l && selected.head === h;
      g.append('rect').attr('width', cell).attr('height', cell).attr('fill', 'none')
        .attr('stroke', isSelected ? SELECTED : '#c9ced8').attr('stroke-width', isSelected ? 3 : 1);
      if (onPick) {
        g.on('click', () => onPick(l, h));
        g.on('keydown', (event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          event.preventDefault();
          onPick(l, h);
        });
      }
    }
  }
  return svg.node();
}

export function attentionDetail({ tokens, data, title }) {
  const T = tokens.length;
  const size = Math.max(14, Math.min(30, Math.floor(480 / T)));
  const labelSpace = 90;
  const margin = { top: labelSpace, left: labelSpace, right: 70, bottom: 12 };
  const width = margin.left + T * size + margin.right;
  const height = margin.top + T * size + margin.bottom;
  const labels = tokens.map((t, i) => `${tokenLabel(t)} ${i}`);
  const x = scaleBand().domain(labels).range([margin.left, margin.left + T * size]);
  const y = scaleBand().domain(labels).range([margin.top, margin.top + T * size]);
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 11).attr('fill', INK).attr('role', 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  const cells = [];
  for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) cells.push({ q, k, v: k <= q ? data[q * T + k] : null });
  const g = svg.append('g');
  g.selectAll('rect').data(cells).join('rect')
    .attr('x', (d) => x(labels[d.k])).attr('y', (d) => y(labels[d.q])).attr('width', size - 1).attr('height', size - 1)
    .attr('fill', (d) => (d.v === null ? '#f4f5f8' : color(d.v)))
    .append('title').text((d) => (d.v === null ? 'masked: a token never looks ahead'
      : `${tokenLabel(tokens[d.q])} (${d.q}) looks at ${tokenLabel(tokens[d.k])} (${d.k}): ${(d.v * 100).toFixed(1)}%`));
  svg.append('g').attr('transform', `translate(${margin.left},0)`).call(axisLeft(y).tickSize(0))
    .call((a) => a.select('.domain').remove()).call((a) => a.selectAll('text').attr('font-family', FONT));
  svg.append('g').attr('transform', `translate(0,${margin.top})`).call(axisTop(x).tickSize(0))
    .call((a) => a.select('.domain').remove())
    .call((a) => a.selectAll('text').attr('font-family', FONT).attr('text-anchor', 'start').attr('transform', 'rotate(-60)').attr('dx', '0.4em'));
  svg.append('text').attr('x', 6).attr('y', 14).attr('fill', MUTED).text('rows: looking');
  svg.append('text').attr('x', 6).attr('y', 30).attr('fill', MUTED).text('columns: looked at');
  const legend = svg.append('g').attr('transform', `translate(${width - margin.right + 16},${margin.top})`);
  for (let i = 0; i <= 10; i++) legend.append('rect').attr('y', (10 - i) * 12).attr('width', 14).attr('height', 12).attr('fill', color(i / 10));
  legend.append('text').attr('x', 18).attr('y', 10).text('100%');
  legend.append('text').attr('x', 18).attr('y', 130).text('0%');
  return svg.node();
}
