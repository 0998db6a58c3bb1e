// The report controls in the page header: save the analyses on screen as a report
// file, open a report file (picked or dropped on the page) and show its results
// without recomputing, close it. An open report shows whose it is: its model id,
// weights SHA-256, suite and the file's date.
import { clear, el } from './dom.js';

export function reportBar(box, actions) {
  const input = el('input', {
    type: 'file', id: 'report-file', accept: '.json,application/json', hidden: true, 'aria-label': 'Report file',
    onchange: (e) => {
      const file = e.target.files?.[0];
      e.target.value = '';
      if (file) actions.openReport(file);
    },
  });
  const save = el('button', { type: 'button', id: 'save-report', text: 'Save report', title: 'Save the analyses on screen as a report file', onclick: () => actions.saveReport() });
  const open = el('button', { type: 'button', id: 'open-report', text: 'Open report…', title: 'Open a report file (or drop one on the page)', onclick: () => input.click() });
  const status = el('span', { class: 'report-status', id: 'report-status', 'aria-live': 'polite' });
  box.append(save, open, input, status);
  document.addEventListener('dragover', (e) => { if ([...(e.dataTransfer?.types ?? [])].includes('Files')) e.preventDefault(); });
  document.addEventListener('drop', (e) => {
    if (e.defaultPrevented) return;  // the model drop zone handled it
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 1 && /\.json$/i.test(files[0].name)) {
      e.preventDefault();
      actions.openReport(files[0]);
    }
  });
  let busyText = null;
  let last = null;
  let shown;  // what the status shows; redrawn only when it changes, so "Close report" is not replaced under the pointer
  function paint() {
    save.disabled = Boolean(busyText);
    const now = busyText ?? last?.report ?? null;
    if (now === shown) return;
    shown = now;
    clear(status);
    if (busyText) status.append(el('span', { class: 'loading', text: busyText }));
    else if (last?.report) status.append(...describe(last.report), el('button', { type: 'button', id: 'close-report', class: 'small', text: 'Close report', onclick: () => actions.closeReport() }));
  }
  return {
    update(data) {
      last = data;
      paint();
    },
    busy(text) {
      busyText = text;
      paint();
    },
  };
}

function describe({ name, report, date }) {
  const suite = report.suite;
  const facts = [
    ['model', String(report.model?.id ?? 'unknown'), 'report-model'],
    ['weights SHA-256', typeof report.model?.weights_sha256 === 'string' ? `${report.model.weights_sha256.slice(0, 16)}…` : 'unknown', 'report-sha'],
    ['suite', suite ? `${suite.n_items} items (SHA-256 ${String(suite.sha256).slice(0, 12)}…)` : 'none', 'report-suite'],
    ['date', date ? date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown', 'report-date'],
  ];
  return [el('span', { id: 'report-open', text: `Report: ${name}` }),
    el('span', { class: 'report-facts' }, facts.map(([k, v, id]) => el('span', { class: 'report-fact' }, [el('b', { text: `${k} ` }), el('span', { id, text: v })])))];
}
