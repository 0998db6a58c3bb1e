// A chart with its title, a caption and export buttons (SVG, PNG, CSV, JSON).
import { el } from '../ui/dom.js';
import { exportChart } from './export.js';

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
  return el('figure', { class: 'chart', dataset: { chart: name } }, [
    el('div', { class: 'chart-head' }, [el('h3', { text: title }), el('div', { class: 'exports' }, buttons)]),
    chart.svg,
    caption ? el('figcaption', { text: caption }) : null,
  ]);
}
