// Pieces the analysis views share: what an analysis is asked about (the suite
// item, or the typed prompt with the model's own top prediction as its answer),
// the status line of a running analysis, and token labels for axes.
import { el, tokenLabel } from '../ui/dom.js';

// Settings naming one prompt: {"item": id} or {"prompt", "answer"}; null until known.
export function focusSettings(data) {
  const item = data.prompt?.item;
  if (item) return { item: item.id };
  const answer = data.clean?.top?.[0]?.token;
  if (!data.prompt?.text || answer === undefined) return null;
  return { prompt: data.prompt.text, answer };
}

// Appends the analysis's status to box; returns its result once it is done.
export function analysisResult(box, data, label, what) {
  const entry = data.analyses?.[label];
  if (!entry) {
    if (data.runError) box.append(el('p', { class: 'error', role: 'alert', text: data.runError }));
    else box.append(el('p', { class: 'loading', text: data.model ? 'Running the model…' : 'Open a model first.' }));
    return null;
  }
  if (entry.status === 'waiting') {
    box.append(el('p', { class: 'note', text: data.runError ?? 'This analysis needs a prompt with a prediction, or the model\'s prompt suite.' }));
    return null;
  }
  if (entry.status === 'running') {
    box.append(progressBar(label, entry, `${what}: ${stageText(entry.stage, what)}`));
    return null;
  }
  if (entry.status === 'cancelled') {
    box.append(el('p', { class: 'note', dataset: { analysis: label } }, [`${what}: cancelled. `,
      pressButton({ class: 'link-button', dataset: { retry: label }, text: 'Run it again' }, () => entry.retry())]));
    return null;
  }
  if (entry.status === 'error') {
    box.append(el('p', { class: 'error', role: 'alert', dataset: { analysis: label }, text: `${what}: ${entry.error}` }));
    return null;
  }
  for (const text of selectionNotes(entry.result)) box.append(el('p', { class: 'note selection-note', dataset: { analysis: label }, text: `${what}: ${text}` }));
  return entry.result;
}

// The time an analysis with a budget may take on one engine before it runs on
// fewer items, by the rule its header states (sweep-budget.h, observation-runners.h, circuits.h).
export const TIME_BUDGET_SECONDS = 60;

// What a result says of the items it left out: those the model answers wrong
// (docs/methods.md, "Items") and a cut to a time budget: a sweep's (sweep-budget.h),
// the tuned lens's (observation-runners.h) or the circuits' (circuits.h).
export function selectionNotes(result) {
  const notes = [];
  const counts = result?.answered_wrong ?? result?.items?.answered_wrong
    ?? Object.fromEntries((result?.items?.kinds ?? []).filter((k) => Number.isFinite(k.answered_wrong)).map((k) => [k.kind, k.answered_wrong]));
  const wrong = Object.values(counts ?? {}).filter(Number.isFinite).reduce((a, b) => a + b, 0);
  const allWrong = result?.items?.all_wrong_kinds ?? [];
  if (wrong > 0) {
    notes.push(`${wrong} item${wrong === 1 ? '' : 's'} the model answers wrong ${wrong === 1 ? 'is' : 'are'} left out, as the study does`
      + `${allWrong.length ? `; ${allWrong.join(', ')} left out, the model answering none of ${allWrong.length === 1 ? 'its' : 'their'} items right` : ''}.`);
  }
  const budget = result?.budget;
  if (budget && Number.isFinite(budget.estimated_seconds_all)) {
    const minutes = (s) => (s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);
    const over = `would take about ${minutes(budget.estimated_seconds_all)} of one engine's time, over the ${minutes(budget.budget_seconds)} this page allows`;
    const sample = () => `${budget.items_per_kind} of ${budget.items_per_kind_all} items of each kind, drawn with the seed`;
    if (typeof budget.items_per_kind === 'object') {  // the circuits' item sets (circuits.h)
      const sets = ['selection', 'validation', 'test', 'null'];
      const perSet = (c) => sets.map((s) => c?.[s]).join('/');
      notes.push(`sampled: ${perSet(budget.items_per_kind)} items per kind in the ${sets.join('/')} sets instead of ${perSet(budget.items_per_kind_all)}`
        + `${budget.candidates === 'attn_mlps' ? ', with whole attention layers and MLPs as the candidates instead of every head' : ''}, `
        + `because the whole analysis ${over} (about ${minutes(budget.estimated_seconds)} as run; the rule is in the methods, "Circuits and selective impairment").`);
    } else if (budget.objective) {  // the tuned lens's fit (observation-runners.h)
      notes.push(`${budget.objective === 'kl' ? 'fitted' : 'fitted by least squares alone (without the KL objective)'} on ${sample()}, `
        + `because the whole fit ${over} (about ${minutes(budget.estimated_seconds)} as run; the rule is in the methods, "Tuned lens").`);
    } else {
      notes.push(`sampled: ${sample()}, because the whole sweep ${over} `
        + `(about ${minutes(budget.estimated_seconds)} sampled; the rule is in the methods, "Sweeps and their time budget").`);
    }
  }
  return notes;
}

// The result of `label`, or while it runs the result of its preview (a quicker
// part of it, analysis-scheduler.js) with the full analysis's progress beside it.
// -> {result, partial} | null (the box then shows progress or the error).
export function resultOrPreview(box, data, label, what) {
  const entry = data.analyses?.[label];
  const preview = data.previews?.[label];
  if (entry?.status === 'running' && preview?.status === 'done') {
    box.append(progressBar(label, entry, `${what}: the rest is on its way (${stageText(entry.stage, what)})`));
    return { result: preview.result, partial: true };
  }
  const result = analysisResult(box, data, label, what);
  return result ? { result, partial: false } : null;
}

function progressBar(label, entry, text) {
  return el('div', { class: 'progress', dataset: { analysis: label } }, [
    el('progress', { max: 1, value: entry.progress ?? 0, 'aria-label': text }),
    el('span', { text: `${text} (${Math.round((entry.progress ?? 0) * 100)}%)` }),
    entry.cancel ? pressButton({ class: 'link-button', dataset: { cancel: label }, text: 'Cancel' }, () => entry.cancel()) : null,
  ]);
}

// A button that acts on the press: a view redraws as its analyses report
// progress (several times a second), and a press and release that straddle a
// redraw land on two different buttons, so a click would be lost. The keyboard
// still activates it by click (index.js gives the focus back after a redraw).
function pressButton(props, action) {
  return el('button', { type: 'button', ...props,
    onpointerdown: (event) => { if (event.button === 0) action(); },
    onclick: (event) => { if (event.detail === 0) action(); } });
}

// "token·3" style axis labels that stay unique when a token repeats.
export function positionLabels(tokens) {
  return tokens.map((t, i) => `${tokenLabel(t)} ${i}`);
}

export function layerLabel(l) {
  return `layer ${l}`;
}

// A count read from a result (a length, an index + 1), checked before anything is
// built from it: views never make more rows or cells than the model allows.
export function checkedCount(n, max, what) {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${what} is ${typeof n === 'number' ? n : JSON.stringify(n)?.slice(0, 20)}, not a whole number from 0 to ${max}`);
  return n;
}

// Units placed on a grid by two integer coordinates (layer × head, boundary ×
// position, …): -> {rows, cols, at(r, c)}; rows and cols are one past the
// largest coordinate and at most maxRows / maxCols.
export function unitGrid(units, rowOf, colOf, { maxRows, maxCols, rowWhat, colWhat }) {
  const map = new Map();
  let rows = 0;
  let cols = 0;
  for (const u of units) {
    const r = rowOf(u);
    const c = colOf(u);
    checkedCount(r, maxRows - 1, rowWhat);
    checkedCount(c, maxCols - 1, colWhat);
    rows = Math.max(rows, r + 1);
    cols = Math.max(cols, c + 1);
    map.set(`${r}|${c}`, u);
  }
  return { rows, cols, at: (r, c) => map.get(`${r}|${c}`) };
}

// The engine's stage text without a repeat of the analysis name ("tuned lens: fitting").
function stageText(stage, what) {
  const text = String(stage || 'starting');
  const prefix = `${what.toLowerCase()}: `;
  return text.toLowerCase().startsWith(prefix) ? text.slice(prefix.length) : text;
}
