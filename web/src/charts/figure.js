// A chart with its title, a caption, export buttons (SVG, PNG, CSV, JSON) and a
// text alternative: its data (the CSV's rows) as a table behind a toggle.
import { el } from '../ui/dom.js';
import { exportChart } from './export.js';

const MAX_TABLE_ROWS = 400;
let tableCount = 0;

// chart: {svg: SVGSVGElement, rows: [plain objects], json?: any}; name: file name stem.
export function figure({ title, caption, name, chart, onError }) {
  const buttons = ['svg', 'png', 'csv', 'json'].map((format) => el('button', {
    type: 'button',
    class: 'export',
    text: format.toUpperCase(),
    'aria-label': `Export ${title} as ${format.toUpperCase()}`,
    dataset: { export: format },
    onclick: () => exportChart(format, { name, ...chart }).catch((e) => onError?.(`Export failed: ${e.message}`)),
  }));
  const tableId = `chart-table-${++tableCount}`;
  const tableBox = el('div', { class: 'chart-table', id: tableId, hidden: true });
  const toggle = el('button', {
    type: 'button', class: 'export table-toggle', text: 'Table', 'aria-expanded': 'false', 'aria-controls': tableId,
    'aria-label': `Show the data of ${title} as a table`, dataset: { export: 'table' },
    onclick: () => {
      const open = tableBox.hidden;
      if (open && !tableBox.firstChild) tableBox.append(...dataTable(chart.rows ?? [], title));
      tableBox.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    },
  });
  return el('figure', { class: 'chart', dataset: { chart: name } }, [
    el('div', { class: 'chart-head' }, [el('h3', { text: title }), el('div', { class: 'exports' }, [toggle, ...buttons])]),
    chart.svg,
    caption ? el('figcaption', { text: caption }) : null,
    tableBox,
  ]);
}

function cellText(v) {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : 'no value';
  return typeof v === 'object' ? JSON.stringify(v).slice(0, 80) : String(v);
}

function dataTable(rows, title) {
  if (!rows.length) return [el('p', { class: 'note', text: 'This chart has no data rows.' })];
  const columns = Object.keys(rows[0]);
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  return [
    el('table', { class: 'data-table' }, [
      el('caption', { text: `${title}: the chart's data` }),
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', text: c })))),
      el('tbody', {}, shown.map((r) => el('tr', {}, columns.map((c) => el('td', { text: cellText(r[c]) }))))),
    ]),
    rows.length > shown.length ? el('p', { class: 'note', text: `The first ${shown.length} of ${rows.length} rows; the CSV export has them all.` }) : null,
  ].filter(Boolean);
}
