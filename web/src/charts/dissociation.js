// The dissociation scatter: each point is a set of components switched off,
// placed by its effect on recall (x) against its effect on reasoning (y), in
// points (0 intact, 100 answer and foil tied). The diagonal is equal damage;
// the two shaded boxes are where a separating circuit must fall (its own
// family's effect at least `target`, the other's at most `spare`).
// points: [{x, y, xci?: [lo, hi], yci?: [lo, hi], label, group, color?, r?, onClick?}]
// groups are drawn in order (first underneath); a group named in `muted` is grey.
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { create } from 'd3-selection';

import { FONT, INK, MUTED } from './theme.js';

export function dissociationScatter({ points, title, target = 30, spare = 5, width = 520, height = 460, legend = [] }) {
  const margin = { top: 16 + 16 * legend.length, right: 20, bottom: 44, left: 52 };
  const values = points.flatMap((p) => [p.x, p.y, ...(p.xci ?? []), ...(p.yci ?? [])]).filter(Number.isFinite);
  const lo = Math.min(-5, ...values);
  const hi = Math.max(target + 10, ...values);
  const x = scaleLinear().domain([lo, hi]).nice().range([margin.left, width - margin.right]);
  const y = scaleLinear().domain([lo, hi]).nice().range([height - margin.bottom, margin.top]);
  const [d0, d1] = x.domain();

  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 11).attr('fill', INK).attr('role', 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  // the two boxes: recall broken and reasoning spared (right, low), and the reverse (top, left)
  const box = (x0, x1, y0, y1, cls) => svg.append('rect').attr('class', cls)
    .attr('x', x(x0)).attr('width', x(x1) - x(x0)).attr('y', y(y1)).attr('height', y(y0) - y(y1))
    .attr('fill', '#e8f1e4').attr('stroke', '#9bbf8f');
  box(target, d1, d0, spare, 'box-recall');
  box(d0, spare, target, d1, 'box-reasoning');
  svg.append('line').attr('class', 'diagonal').attr('x1', x(d0)).attr('y1', y(d0)).attr('x2', x(d1)).attr('y2', y(d1))
    .attr('stroke', MUTED).attr('stroke-dasharray', '4 3');

  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const whiskered = finite.filter((p) => p.xci?.every(Number.isFinite) && p.yci?.every(Number.isFinite));
  const w = svg.append('g').attr('stroke', INK).attr('stroke-width', 1);
  for (const p of whiskered) {
    w.append('line').attr('x1', x(p.xci[0])).attr('x2', x(p.xci[1])).attr('y1', y(p.y)).attr('y2', y(p.y));
    w.append('line').attr('x1', x(p.x)).attr('x2', x(p.x)).attr('y1', y(p.yci[0])).attr('y2', y(p.yci[1]));
  }
  svg.append('g').selectAll('circle').data(finite).join('circle')
    .attr('class', (p) => `point ${p.group}`).attr('cx', (p) => x(p.x)).attr('cy', (p) => y(p.y)).attr('r', (p) => p.r ?? 4)
    .attr('fill', (p) => p.color ?? MUTED).attr('fill-opacity', (p) => (p.color ? 0.9 : 0.35))
    .attr('stroke', (p) => (p.onClick ? INK : 'none')).attr('data-label', (p) => p.label).attr('data-value', (p) => p.x)
    .style('cursor', (p) => (p.onClick ? 'pointer' : null))
    .on('click', (_, p) => p.onClick?.())
    .append('title').text((p) => `${p.label}: recall ${p.x.toFixed(1)}, reasoning ${p.y.toFixed(1)}`
      + (p.xci ? ` (intervals ${p.xci.map((v) => v.toFixed(1)).join(' to ')}; ${p.yci.map((v) => v.toFixed(1)).join(' to ')})` : ''));

  svg.append('g').attr('transform', `translate(0,${height - margin.bottom})`).call(axisBottom(x).ticks(6));
  svg.append('g').attr('transform', `translate(${margin.left},0)`).call(axisLeft(y).ticks(6));
  svg.append('text').attr('x', (margin.left + width - margin.right) / 2).attr('y', height - 8).attr('text-anchor', 'middle')
    .text('effect on recall (points)');
  svg.append('text').attr('transform', `translate(14,${(margin.top + height - margin.bottom) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle').text('effect on reasoning (points)');
  legend.forEach((entry, i) => {
    const g = svg.append('g').attr('transform', `translate(${margin.left},${10 + 16 * i})`);
    g.append('circle').attr('r', 4).attr('cy', 0).attr('fill', entry.color ?? MUTED).attr('fill-opacity', entry.color ? 0.9 : 0.35);
    g.append('text').attr('x', 10).attr('y', 4).text(entry.text);
  });
  return svg.node();
}
