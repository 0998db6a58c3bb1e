// A labelled matrix heatmap (layer × position, layer × head, …) with axis titles
// and a colour legend. Sequential scales for quantities that start at zero
// (probability, share of flow), diverging ones centred on zero for signed
// effects (patching recovery, logit contributions).
import { axisBottom, axisLeft, axisRight, axisTop } from 'd3-axis';
import { format as d3format } from 'd3-format';
import { scaleBand, scaleDiverging, scaleLinear, scaleSequential } from 'd3-scale';
import { interpolateBrBG, interpolatePurples, interpolateRdBu } from 'd3-scale-chromatic';
import { create } from 'd3-selection';

import { EMPTY, FONT, INK, MUTED, SELECTED, textColourOn } from './theme.js';

// rows/cols: labels; value(r, c) -> number | null (null: no value, drawn blank);
// kind: 'sequential' (domain [0, max]) or 'diverging' (symmetric around 0);
// palette (diverging): 'families' (blue: recall side, red: reasoning side) or
// 'signed' (brown negative, teal positive) for effects that are not about a family;
// text(r, c) -> string | null: optional text written in the cell;
// selected: {row, col} outlined; onPick(r, c) on click.
// More cells than this cannot be read as a picture and would stall the page.
export const MAX_CELLS = 20000;

export function matrixHeatmap({
  rows, cols, value, kind = 'sequential', palette = 'families', domain, title, xTitle, yTitle, legendTitle,
  valueFormat = '.2f', text = null, selected = null, onPick = null, cell = null, colsOnTop = true,
}) {
  if (rows.length * cols.length > MAX_CELLS) throw new Error(`${title}: ${rows.length} × ${cols.length} cells are more than a chart can show (${MAX_CELLS})`);
  const values = [];
  for (let r = 0; r < rows.length; r++) for (let c = 0; c < cols.length; c++) {
    const v = value(r, c);
    if (Number.isFinite(v)) values.push(v);
  }
  const extent = Math.max(1e-9, ...values.map(Math.abs));
  const color = kind === 'diverging'
    ? scaleDiverging(palette === 'signed' ? interpolateBrBG : (t) => interpolateRdBu(1 - t)).domain(domain ?? [-extent, 0, extent])
    : scaleSequential(interpolatePurples).domain(domain ?? [0, Math.max(...values, 1e-9)]);
  const size = cell ?? Math.max(18, Math.min(44, Math.floor(640 / Math.max(cols.length, 1))));
  const rowLabelWidth = 12 + 7 * Math.max(4, ...rows.map((s) => String(s).length));
  const colLabelHeight = 14 + 6 * Math.max(2, ...cols.map((s) => String(s).length));
  const margin = { top: (colsOnTop ? colLabelHeight : 10) + (xTitle ? 18 : 0), left: rowLabelWidth + (yTitle ? 20 : 0), right: Math.max(96, 30 + 6.5 * String(legendTitle ?? '').length), bottom: (colsOnTop ? 12 : colLabelHeight) + 8 };
  const width = margin.left + cols.length * size + margin.right;
  const height = Math.max(margin.top + rows.length * size + margin.bottom, margin.top + 150);
  const x = scaleBand().domain(cols.map((_, i) => i)).range([margin.left, margin.left + cols.length * size]);
  const y = scaleBand().domain(rows.map((_, i) => i)).range([margin.top, margin.top + rows.length * size]);

  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height)
    .attr('font-family', FONT).attr('font-size', 11).attr('fill', INK).attr('role', onPick ? 'group' : 'img').attr('aria-label', title);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
  const cells = [];
  for (let r = 0; r < rows.length; r++) for (let c = 0; c < cols.length; c++) cells.push({ r, c, v: value(r, c) });
  const fmt = d3format(valueFormat);
  const g = svg.append('g').selectAll('g').data(cells).join('g').attr('class', 'cell')
    .attr('data-row', (d) => d.r).attr('data-col', (d) => d.c)
    .attr('data-value', (d) => (Number.isFinite(d.v) ? d.v : ''));
  g.append('rect').attr('x', (d) => x(d.c)).attr('y', (d) => y(d.r)).attr('width', size - 1).attr('height', size - 1)
    .attr('fill', (d) => (Number.isFinite(d.v) ? color(d.v) : EMPTY))
    .append('title').text((d) => `${rows[d.r]} · ${cols[d.c]}: ${Number.isFinite(d.v) ? fmt(d.v) : 'no value'}`);
  if (text) {
    g.append('text').attr('x', (d) => x(d.c) + size / 2 - 0.5).attr('y', (d) => y(d.r) + size / 2).attr('dy', '0.35em')
      .attr('text-anchor', 'middle').attr('font-size', Math.min(11, size / 3))
      .attr('fill', (d) => textColourOn(Number.isFinite(d.v) ? color(d.v) : EMPTY))
      .text((d) => text(d.r, d.c) ?? '');
  }
  if (selected) {
    svg.append('rect').attr('x', x(selected.col)).attr('y', y(selected.row)).attr('width', size - 1).attr('height', size - 1)
      .attr('fill', 'none').attr('stroke', SELECTED).attr('stroke-width', 3);
  }
  if (onPick) {
    g.style('cursor', 'pointer').attr('tabindex', 0).attr('role', 'button')
      .attr('aria-label', (d) => [text?.(d.r, d.c), `${rows[d.r]}, ${cols[d.c]}: ${Number.isFinite(d.v) ? fmt(d.v) : 'no value'}`].filter(Boolean).join(' — '))
      .on('click', (_, d) => onPick(d.r, d.c))
      .on('keydown', (event, d) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        onPick(d.r, d.c);
      });
  }

  const colAxis = (colsOnTop ? axisTop(x) : axisBottom(x)).tickFormat((i) => cols[i]).tickSize(0);
  svg.append('g').attr('transform', `translate(0,${colsOnTop ? margin.top - 2 : margin.top + rows.length * size + 2})`).call(colAxis)
    .call((a) => a.select('.domain').remove())
    .call((a) => a.selectAll('text').attr('font-family', FONT).attr('text-anchor', 'start')
      .attr('transform', colsOnTop ? 'rotate(-55)' : 'rotate(55)').attr('dx', '0.4em').attr('dy', colsOnTop ? '0.3em' : '0.1em'));
  svg.append('g').attr('transform', `translate(${margin.left - 2},0)`).call(axisLeft(y).tickFormat((i) => rows[i]).tickSize(0))
    .call((a) => a.select('.domain').remove()).call((a) => a.selectAll('text').attr('font-family', FONT));
  if (xTitle) svg.append('text').attr('x', margin.left + (cols.length * size) / 2).attr('y', colsOnTop ? 12 : height - 4)
    .attr('text-anchor', 'middle').attr('fill', MUTED).attr('font-size', 12).text(xTitle);
  if (yTitle) svg.append('text').attr('transform', `translate(12,${margin.top + (rows.length * size) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle').attr('fill', MUTED).attr('font-size', 12).text(yTitle);
  legend(svg, color, { x: margin.left + cols.length * size + 24, y: margin.top, title: legendTitle, valueFormat });
  return svg.node();
}

// A vertical colour bar with ticks, drawn from the scale itself.
export function legend(svg, color, { x, y, title, valueFormat = '.2f', length = 120 }) {
  const [lo, hi] = [color.domain()[0], color.domain()[color.domain().length - 1]];
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`);
  const steps = 24;
  for (let i = 0; i < steps; i++) {
    const v = hi - ((i + 0.5) / steps) * (hi - lo);
    g.append('rect').attr('y', (i * length) / steps).attr('width', 12).attr('height', length / steps + 0.5).attr('fill', color(v));
  }
  const scale = scaleLinear().domain([hi, lo]).range([0, length]);
  g.append('g').attr('transform', 'translate(12,0)').call(axisRight(scale).ticks(4, valueFormat).tickSize(4))
    .call((a) => a.select('.domain').remove()).call((a) => a.selectAll('text').attr('font-family', FONT));
  if (title) g.append('text').attr('x', 0).attr('y', -8).attr('fill', MUTED).attr('font-size', 11).text(title);
  return g;
}
