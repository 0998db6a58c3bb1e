// The table of next-token predictions that sits under every probability chart
// (readable without the chart, and what the tests read the numbers from).
import { el, percent, tokenLabel } from './dom.js';

// rows: [{token, id, values: [p per series], highlight?}]
export function predictionTable(rows, series) {
  const head = el('tr', {}, [el('th', { text: 'next token' }), ...series.map((s) => el('th', { text: s }))]);
  const body = rows.map((r) => el('tr', {
    class: r.highlight ? 'answer' : null,
    dataset: { token: String(r.token), id: String(r.id), probability: String(r.values[0]), probabilities: r.values.join(',') },
  }, [el('td', { class: 'token', text: tokenLabel(r.token) + (r.highlight ? ' (expected answer)' : '') }),
    ...r.values.map((v) => el('td', { class: 'num', text: percent(v) }))]));
  return el('table', { class: 'predictions' }, [el('thead', {}, head), el('tbody', {}, body)]);
}
