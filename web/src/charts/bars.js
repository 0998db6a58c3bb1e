// Horizontal bars of next-token probabilities; one or more series side by side
// (e.g. the clean run and the run with ablations).
import { axisBottom, axisLeft } from 'd3-axis';
import { format } from 'd3-format';
import { scaleBand, scaleLinear } from 'd3-scale';
import { create } from 'd3-selection';

import { tokenLabel } from '../ui/dom.js';
import { AMOUNT_SERIES as SERIES, FONT, INK, MAX_ROWS, MUTED } from './theme.js';

// rows: [{token, values: [p per series], highlight?}]; series: names of the series.
export function probabilityBars({ rows, series, width = 560, title }) {
  if (rows.length > MAX_ROWS) throw new Error(`${title}: ${rows.length} bars are more than a chart can show (${MAX_ROWS})`);
  const barHeight = series.length > 1 ? 11 : 16;
  const margin = { top: series.length > 1 ? 30 : 12, right: 64, bottom: 34, left: 110 };
  const innerHeight = rows.length * (barHeight * series.length + 10);
  const height = margin.top + innerHeight + margin.bottom;
  const max = Math.max(0.01, ...rows.flatMap((r) => r.values.filter(Number.isFinite)));
  const x = scaleLinear().domain([0, max]).nice().range([margin.left, width - margin.right]);
  const y = scaleBand().domain(rows.map((_, i) => i)).range([margin.top, margin.top + innerHeight]).paddingInner(0.25);
  const sub = scaleBand().domain(series.map((_, i) => i)).range([0, y.bandwidth()]).padding(0.05);

  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 12).attr('fill', INK).attr('role', 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');

  const groups = svg.append('g').selectAll('g').data(rows).join('g')
    .attr('class', 'bar-row').attr('transform', (_, i) => `translate(0,${y(i)})`)
    .attr('data-token', (r) => r.token);
  groups.selectAll('rect').data((r) => r.values.map((v, s) => ({ v, s }))).join('rect')
    .attr('x', x(0)).attr('y', (d) => sub(d.s)).attr('height', sub.bandwidth())
    .attr('width', (d) => Math.max(0, x(Number.isFinite(d.v) ? d.v : 0) - x(0)))
    .attr('fill', (d) => SERIES[d.s % SERIES.length]);
  groups.selectAll('text.value').data((r) => r.values.map((v, s) => ({ v, s }))).join('text')
    .attr('class', 'value').attr('x', (d) => x(Number.isFinite(d.v) ? d.v : 0) + 4).attr('y', (d) => sub(d.s) + sub.bandwidth() / 2)
    .attr('dy', '0.35em').attr('font-size', 11).attr('fill', MUTED)
    .text((d) => (Number.isFinite(d.v) ? `${(d.v * 100).toFixed(1)}%` : '–'));

  svg.append('g').attr('transform', `translate(${margin.left},0)`)
    .call(axisLeft(y).tickFormat((i) => tokenLabel(rows[i].token) + (rows[i].highlight ? ' ✓' : '')).tickSizeOuter(0))
    .call((g) => g.selectAll('text').attr('font-size', 12).attr('font-family', FONT).attr('fill', (i) => (rows[i].highlight ? '#2e7d32' : INK)));
  svg.append('g').attr('transform', `translate(0,${margin.top + innerHeight})`)
    .call(axisBottom(x).ticks(5, '%'))
    .call((g) => g.selectAll('text').attr('font-family', FONT));
  svg.append('text').attr('x', (margin.left + width - margin.right) / 2).attr('y', height - 4)
    .attr('text-anchor', 'middle').attr('fill', MUTED).text('probability of being the next token');

  if (series.length > 1) {
    const legend = svg.append('g').attr('transform', `translate(${margin.left},10)`);
    series.forEach((name, s) => {
      const g = legend.append('g').attr('transform', `translate(${s * 170},0)`);
      g.append('rect').attr('width', 12).attr('height', 12).attr('fill', SERIES[s % SERIES.length]);
      g.append('text').attr('x', 16).attr('y', 10).text(name);
    });
  }
  return svg.node();
}

export const percentFormat = format('.1%');
