// Small multiples of overlaid histograms: one panel per neuron, recall and
// reasoning items' activations in shared bins (counts as the engine computed
// them), each group scaled to its own total so the shapes compare.
import { axisBottom } from 'd3-axis';
import { format as d3format } from 'd3-format';
import { scaleLinear } from 'd3-scale';
import { create } from 'd3-selection';

import { FONT, INK, MUTED } from './theme.js';

const MAX_BINS = 1000;

export const GROUP_COLORS = { recall: '#3a6ea5', reasoning: '#d9822b', mixed: '#5a9e6f' };

// panels: [{title, edges: [bins + 1], groups: {name: counts[]}}]
export function histogramPanels({ panels, title, columns = 3, panelWidth = 220, panelHeight = 110, xTitle = 'activation' }) {
  const margin = { top: 22, right: 10, bottom: 34, left: 10 };
  const legendHeight = 24;
  const rows = Math.ceil(panels.length / columns);
  const w = panelWidth + margin.left + margin.right;
  const h = panelHeight + margin.top + margin.bottom;
  const width = columns * w;
  const height = legendHeight + rows * h;
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 11).attr('fill', INK).attr('role', 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  const names = [...new Set(panels.flatMap((p) => Object.keys(p.groups)))];
  const legend = svg.append('g').attr('transform', 'translate(10,6)');
  names.forEach((name, i) => {
    const g = legend.append('g').attr('transform', `translate(${i * 130},0)`);
    g.append('rect').attr('width', 12).attr('height', 12).attr('fill', GROUP_COLORS[name] ?? MUTED).attr('opacity', 0.7);
    g.append('text').attr('x', 16).attr('y', 10).text(`${name} items`);
  });
  const pct = d3format('.0%');
  panels.forEach((panel, i) => {
    if (panel.edges.length > MAX_BINS + 1) throw new Error(`${panel.title}: ${panel.edges.length - 1} bins are more than a histogram shows (${MAX_BINS})`);
    const g = svg.append('g').attr('class', 'histogram')
      .attr('transform', `translate(${(i % columns) * w + margin.left},${legendHeight + Math.floor(i / columns) * h + margin.top})`);
    const edges = panel.edges;
    const lo = edges[0];
    const hi = edges[edges.length - 1] > lo ? edges[edges.length - 1] : lo + 1;
    const x = scaleLinear().domain([lo, hi]).range([0, panelWidth]);
    const shares = Object.fromEntries(Object.entries(panel.groups).map(([name, counts]) => {
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      return [name, counts.map((c) => c / total)];
    }));
    const max = Math.max(1e-9, ...Object.values(shares).flat());
    const y = scaleLinear().domain([0, max]).range([panelHeight, 0]);
    g.append('text').attr('x', 0).attr('y', -8).attr('font-weight', 600).text(panel.title);
    for (const [name, values] of Object.entries(shares)) {
      g.append('g').selectAll('rect').data(values).join('rect')
        .attr('x', (_, b) => x(edges[b])).attr('width', (_, b) => Math.max(0.5, x(edges[b + 1] ?? hi) - x(edges[b]) - 0.5))
        .attr('y', (v) => y(v)).attr('height', (v) => panelHeight - y(v))
        .attr('fill', GROUP_COLORS[name] ?? MUTED).attr('opacity', 0.55)
        .append('title').text((v, b) => `${name}: ${pct(v)} of items in [${edges[b].toPrecision(3)}, ${(edges[b + 1] ?? hi).toPrecision(3)})`);
    }
    g.append('g').attr('transform', `translate(0,${panelHeight})`).call(axisBottom(x).ticks(4).tickSizeOuter(0))
      .call((a) => a.selectAll('text').attr('font-family', FONT));
    g.append('text').attr('x', panelWidth / 2).attr('y', panelHeight + 30).attr('text-anchor', 'middle').attr('fill', MUTED).text(xTitle);
  });
  return svg.node();
}
