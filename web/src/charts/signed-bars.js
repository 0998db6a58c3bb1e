// Horizontal bars of signed values around a zero line (a component's push on the
// answer's logit, an accuracy drop), with optional intervals drawn as whiskers.
// Several series sit side by side in each row (e.g. recall and reasoning).
import { axisBottom, axisLeft } from 'd3-axis';
import { format as d3format } from 'd3-format';
import { scaleBand, scaleLinear } from 'd3-scale';
import { create } from 'd3-selection';

import { FONT, INK, MAX_ROWS, MUTED, SERIES } from './theme.js';

// rows: [{label, values: [number per series], intervals?: [[lo, hi] | null per series], colors?: [per series], highlight?}]
export function signedBars({ rows, series = [''], title, xTitle, valueFormat = '.2f', width = 640, colors = SERIES }) {
  if (rows.length > MAX_ROWS) throw new Error(`${title}: ${rows.length} bars are more than a chart can show (${MAX_ROWS})`);
  const barHeight = series.length > 1 ? 10 : 14;
  const legendHeight = series.length > 1 ? 24 : 0;
  const labelWidth = 16 + 7 * Math.max(4, ...rows.map((r) => String(r.label).length));
  const margin = { top: 10 + legendHeight, right: 60, bottom: 40, left: labelWidth };
  const innerHeight = rows.length * (barHeight * series.length + 8);
  const height = margin.top + innerHeight + margin.bottom;
  const all = rows.flatMap((r) => [...r.values, ...(r.intervals ?? []).flat()]).filter(Number.isFinite);
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  const x = scaleLinear().domain([lo, hi === lo ? lo + 1 : hi]).nice().range([margin.left, width - margin.right]);
  const y = scaleBand().domain(rows.map((_, i) => i)).range([margin.top, margin.top + innerHeight]).paddingInner(0.2);
  const sub = scaleBand().domain(series.map((_, i) => i)).range([0, y.bandwidth()]).padding(0.08);
  const fmt = d3format(valueFormat);

  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 11).attr('fill', INK).attr('role', 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  const groups = svg.append('g').selectAll('g').data(rows).join('g').attr('class', 'bar-row')
    .attr('transform', (_, i) => `translate(0,${y(i)})`).attr('data-label', (r) => r.label);
  const items = (r) => r.values.map((v, s) => ({ v, s, iv: r.intervals?.[s] ?? null, color: r.colors?.[s] }));
  groups.selectAll('rect').data(items).join('rect')
    .attr('x', (d) => x(Math.min(0, Number.isFinite(d.v) ? d.v : 0))).attr('y', (d) => sub(d.s)).attr('height', sub.bandwidth())
    .attr('width', (d) => Math.abs(x(Number.isFinite(d.v) ? d.v : 0) - x(0)))
    .attr('fill', (d) => d.color ?? colors[d.s % colors.length])
    .append('title').text((d) => `${series[d.s] ? `${series[d.s]}: ` : ''}${Number.isFinite(d.v) ? fmt(d.v) : 'no value'}`
      + (d.iv ? ` (interval ${fmt(d.iv[0])} to ${fmt(d.iv[1])})` : ''));
  const whiskers = groups.selectAll('g.iv').data((r) => items(r).filter((d) => d.iv && d.iv.every(Number.isFinite))).join('g').attr('class', 'iv')
    .attr('stroke', INK).attr('stroke-width', 1.2);
  whiskers.append('line').attr('x1', (d) => x(d.iv[0])).attr('x2', (d) => x(d.iv[1]))
    .attr('y1', (d) => sub(d.s) + sub.bandwidth() / 2).attr('y2', (d) => sub(d.s) + sub.bandwidth() / 2);
  for (const end of [0, 1]) {
    whiskers.append('line').attr('x1', (d) => x(d.iv[end])).attr('x2', (d) => x(d.iv[end]))
      .attr('y1', (d) => sub(d.s) + 1).attr('y2', (d) => sub(d.s) + sub.bandwidth() - 1);
  }
  svg.append('line').attr('x1', x(0)).attr('x2', x(0)).attr('y1', margin.top - 4).attr('y2', margin.top + innerHeight).attr('stroke', MUTED);
  svg.append('g').attr('transform', `translate(${margin.left},0)`)
    .call(axisLeft(y).tickFormat((i) => rows[i].label).tickSize(0))
    .call((a) => a.select('.domain').remove())
    .call((a) => a.selectAll('text').attr('font-family', FONT).attr('font-weight', (i) => (rows[i].highlight ? 700 : 400)));
  svg.append('g').attr('transform', `translate(0,${margin.top + innerHeight})`).call(axisBottom(x).ticks(6, valueFormat))
    .call((a) => a.selectAll('text').attr('font-family', FONT));
  if (xTitle) svg.append('text').attr('x', (margin.left + width - margin.right) / 2).attr('y', height - 6).attr('text-anchor', 'middle').attr('fill', MUTED).attr('font-size', 12).text(xTitle);
  if (series.length > 1) {
    const legend = svg.append('g').attr('transform', `translate(${margin.left},8)`);
    series.forEach((name, s) => {
      const g = legend.append('g').attr('transform', `translate(${s * 160},0)`);
      g.append('rect').attr('width', 12).attr('height', 12).attr('fill', colors[s % colors.length]);
      g.append('text').attr('x', 16).attr('y', 10).text(name);
    });
  }
  return svg.node();
}
