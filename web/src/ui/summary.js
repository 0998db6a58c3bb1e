// The summary bar under the header: the model, the prompt, and the prediction with
// the backend that computed it. Every value is shown only when it exists: no
// `null`, `undefined` or `NaN` ever reaches the text.
import { clear, el, percent, tokenLabel } from './dom.js';
import { predictionFlags } from './prediction-flags.js';

const BACKEND_NAMES = { wasm: 'Strata engine (WebAssembly)', ort: 'ONNX Runtime Web' };

export function backendName(id) {
  return BACKEND_NAMES[id] ?? 'Strata engine (WebAssembly)';
}

export function renderSummary(box, data) {
  clear(box);
  if (!data.model) return;
  const run = data.ablations.length ? data.ablated : data.clean;
  const top = run?.top?.[0];
  const prompt = data.prompt?.text;
  let prediction = null;
  if (top && Number.isFinite(top.probability)) {
    prediction = el('span', { class: 'chip', id: 'summary-prediction' }, [el('b', { text: data.ablations.length ? 'Prediction with ablations ' : 'Prediction ' }),
      el('span', { text: `${tokenLabel(data.tokenOf(top.id))} (${percent(top.probability)})` }),
      el('span', { class: 'backend-name', id: 'summary-backend', text: ` · by ${backendName(data.backend)}` })]);
  } else if (data.runError) {
    prediction = el('span', { class: 'chip', id: 'summary-prediction' }, [el('b', { text: 'Prediction ' }), el('span', { text: 'none (see the message below)' })]);
  }
  box.append(
    el('span', { class: 'chip' }, [el('b', { text: 'Model ' }), el('span', { text: data.model.name })]),
    prompt ? el('span', { class: 'chip prompt-chip' }, [el('b', { text: 'Prompt ' }), el('span', { text: prompt })])
      : el('span', { class: 'chip prompt-chip' }, [el('b', { text: 'Prompt ' }), el('span', { class: 'note', text: 'none yet' })]),
    prediction,
    ...predictionFlags(data).map((f) => el('span', { class: `chip flag flag-${f.kind}`, title: f.text, dataset: { flag: f.kind } }, [
      el('b', { text: '⚠ ' }), el('span', { text: f.kind === 'heldout' ? 'held-out fact: the model never learned it' : 'unknown words ([UNK])' })])),
  );
}
