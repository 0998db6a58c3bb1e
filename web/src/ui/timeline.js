// The training timeline of a shipped model that has one (models/recipe/timeline.py):
// accuracy per kind and the circuits' effects at every saved checkpoint, and the
// controls that open the model as it was at a checkpoint, so a class can watch
// recall and reasoning form.
import { figure } from '../charts/figure.js';
import { matrixHeatmap } from '../charts/matrix.js';
import { clear, el, explanation } from './dom.js';

const EXPLAIN = 'This model was saved at several points while it trained. Pick a step to open the model as it was '
  + 'then: every view and analysis runs on those weights. The charts show, for each saved step, how often it answered '
  + 'each kind of prompt right, and how much the circuits the engine finds for recall and for reasoning matter.';

// The accuracy a kind must keep, from some step on, for the caption to say it has formed.
const FORMED = 0.9;

export function timelinePanel(actions) {
  const select = el('select', { id: 'checkpoint-select', 'aria-label': 'Training checkpoint',
    onchange: (e) => actions.selectCheckpoint(e.target.value === '' ? null : Number(e.target.value)) });
  const earlier = el('button', { type: 'button', id: 'checkpoint-earlier', text: '◀ Earlier', onclick: () => move(-1) });
  const later = el('button', { type: 'button', id: 'checkpoint-later', text: 'Later ▶', onclick: () => move(1) });
  const charts = el('div', { class: 'timeline-charts' });
  const box = el('section', { class: 'panel timeline', id: 'timeline', hidden: true, 'aria-label': 'Training timeline' }, [
    el('h3', { text: 'Training timeline' }), explanation(EXPLAIN),
    el('div', { class: 'row' }, [el('label', { for: 'checkpoint-select', text: 'Weights: ' }), select, earlier, later]), charts]);
  let shown = null;  // {id, timeline} on screen
  let steps = [];    // the select's values in order ('' = final weights last)

  function move(by) {
    const i = steps.indexOf(select.value) + by;
    if (i >= 0 && i < steps.length) actions.selectCheckpoint(steps[i] === '' ? null : Number(steps[i]));
  }

  function fill(timeline, data) {
    clear(select);
    for (const c of timeline.checkpoints) select.append(el('option', { value: String(c.step), text: `step ${c.step}` }));
    select.append(el('option', { value: '', text: 'final weights (shipped)' }));
    steps = [...select.options].map((o) => o.value);
    clear(charts);
    charts.append(accuracyFigure(timeline, actions), circuitsFigure(timeline, actions));
    shown = { id: data.model.id, timeline };
  }

  return {
    element: box,
    update(data) {
      const entry = data.manifest.find((m) => m.id === data.model?.id);
      box.hidden = !(data.model?.source === 'shipped' && typeof entry?.timeline === 'string');
      if (box.hidden) return;
      const current = data.state.checkpoint === null ? '' : String(data.state.checkpoint);
      const sync = () => {
        select.value = current;
        const i = steps.indexOf(current);
        earlier.disabled = i <= 0;
        later.disabled = i < 0 || i >= steps.length - 1;
      };
      if (shown?.id === data.model.id) {
        sync();
        return;
      }
      actions.timeline(data.model.id).then((timeline) => {
        if (!timeline || data.model?.id !== entry.id) return;
        fill(timeline, data);
        sync();
      }, (error) => {
        clear(charts);
        charts.append(el('p', { class: 'error', role: 'alert', text: `The training timeline could not be read: ${error.message}` }));
      });
    },
  };
}

const pct = (x) => `${Math.round(x * 100)}%`;

function accuracyFigure(timeline, actions) {
  const { checkpoints } = timeline;
  const kinds = [...new Set(checkpoints.flatMap((c) => Object.keys(c.accuracy)))];
  const cols = checkpoints.map((c) => String(c.step));
  const at = (k, i) => checkpoints[i].accuracy[kinds[k]];
  const chart = {
    svg: matrixHeatmap({ rows: kinds.map((k) => `${k} (${at(kinds.indexOf(k), 0)?.split ?? ''})`), cols, value: (r, c) => at(r, c)?.accuracy ?? null,
      domain: [0, 1], title: 'Accuracy at each saved step', xTitle: 'training step', legendTitle: 'accuracy', valueFormat: '.0%',
      text: (r, c) => (at(r, c) ? pct(at(r, c).accuracy) : null), cell: 48 }),
    rows: checkpoints.flatMap((c) => kinds.filter((k) => c.accuracy[k]).map((k) => ({ step: c.step, kind: k, split: c.accuracy[k].split,
      accuracy: c.accuracy[k].accuracy, ...(c.accuracy[k].memory === undefined ? {} : { memorised_answer: c.accuracy[k].memory }) }))),
    json: timeline,
  };
  return figure({ title: 'Accuracy during training', name: 'timeline-accuracy', chart, onError: actions.notify, caption: formedCaption(timeline) });
}

// The kinds scored by how often the prompt's answer wins against the memorised one (conflict kinds).
function conflictKinds(timeline, kinds) {
  return kinds.filter((k) => timeline.checkpoints.some((c) => c.accuracy[k]?.memory !== undefined));
}

// {kind: the first saved step from which its accuracy stays at FORMED or above, or null}, for every kind but conflicts.
export function formedSteps(timeline) {
  const { checkpoints } = timeline;
  const kinds = [...new Set(checkpoints.flatMap((c) => Object.keys(c.accuracy)))];
  const conflicts = conflictKinds(timeline, kinds);
  const formed = {};
  for (const kind of kinds.filter((k) => !conflicts.includes(k))) {
    const acc = checkpoints.map((c) => c.accuracy[kind]?.accuracy ?? 0);
    let from = acc.length;
    while (from > 0 && acc[from - 1] >= FORMED) from--;
    formed[kind] = from === acc.length ? null : checkpoints[from].step;
  }
  return formed;
}

// "Reached 90% and stayed there: city at step 4500, …; below 90% at the last saved
// step: …", and for a conflict kind (one with memorised-answer counts) which source
// wins at the last step.
export function formedSentence(timeline) {
  const entries = Object.entries(formedSteps(timeline));
  const formed = entries.filter(([, step]) => step !== null).map(([kind, step]) => `${kind} at step ${step}`);
  const never = entries.filter(([, step]) => step === null).map(([kind]) => kind);
  const parts = [];
  if (formed.length) parts.push(`Reached ${pct(FORMED)} and stayed there: ${formed.join(', ')}`);
  if (never.length) parts.push(`below ${pct(FORMED)} at the last saved step: ${never.join(', ')}`);
  return `${parts.join('; ')}.`;
}

export function formedCaption(timeline) {
  const { checkpoints } = timeline;
  const last = checkpoints[checkpoints.length - 1];
  const conflicts = conflictKinds(timeline, [...new Set(checkpoints.flatMap((c) => Object.keys(c.accuracy)))]);
  const sources = conflicts.filter((k) => last.accuracy[k]).map((k) => `${k}: at step ${last.step} the prompt's answer wins `
    + `${pct(last.accuracy[k].accuracy)} of the time, the memorised one ${pct(last.accuracy[k].memory ?? 0)}.`);
  return [formedSentence(timeline), ...sources, 'Each kind is scored on its own split (in brackets).'].join(' ');
}

function circuitsFigure(timeline, actions) {
  const { checkpoints } = timeline;
  const lines = [['recall circuit, on recall', 'recall', 'effect'], ['recall circuit, on reasoning', 'recall', 'other'],
    ['reasoning circuit, on reasoning', 'reasoning', 'effect'], ['reasoning circuit, on recall', 'reasoning', 'other']];
  const value = (r, c) => checkpoints[c].circuits?.[lines[r][1]][lines[r][2]] ?? null;
  const chart = {
    svg: matrixHeatmap({ rows: lines.map((l) => l[0]), cols: checkpoints.map((c) => String(c.step)), value, kind: 'diverging', palette: 'signed',
      title: 'Circuit effects at each saved step', xTitle: 'training step', legendTitle: 'effect (points)', valueFormat: '.0f',
      text: (r, c) => (value(r, c) === null ? '–' : String(Math.round(value(r, c)))), cell: 48 }),
    rows: checkpoints.map((c) => ({ step: c.step, separated: c.circuits ? c.circuits.separated : null,
      recall_circuit: c.circuits?.recall.components.join(' ') ?? '', recall_on_recall: c.circuits?.recall.effect ?? null, recall_on_reasoning: c.circuits?.recall.other ?? null,
      reasoning_circuit: c.circuits?.reasoning.components.join(' ') ?? '', reasoning_on_reasoning: c.circuits?.reasoning.effect ?? null,
      reasoning_on_recall: c.circuits?.reasoning.other ?? null, note: c.circuitsError ?? '' })),
    json: timeline,
  };
  return figure({ title: 'Circuits during training', name: 'timeline-circuits', chart, onError: actions.notify, caption: separatedCaption(timeline) });
}

// Which saved steps the circuits analysis calls separated, read from the same checkpoints.
export function separatedCaption(timeline) {
  const { checkpoints } = timeline;
  const yes = checkpoints.filter((c) => c.circuits?.separated).map((c) => c.step);
  const none = checkpoints.filter((c) => !c.circuits).map((c) => c.step);
  const head = yes.length ? `The circuits analysis (default settings) separates recall from reasoning at step${yes.length > 1 ? 's' : ''} ${yes.join(', ')}`
    : 'The circuits analysis (default settings) separates recall from reasoning at no saved step';
  return `${head}${none.length ? `; it found no circuits at step${none.length > 1 ? 's' : ''} ${none.join(', ')}` : ''}. `
    + 'Effects: how far removing the circuit moves the answer towards its foil, in points (100: a tie).';
}
