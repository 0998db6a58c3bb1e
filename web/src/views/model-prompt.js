// Model & prompt: pick a shipped model or drop your own, type a prompt or pick one
// from the model's prompt suite, and see what the model predicts next.
import { figure } from '../charts/figure.js';
import { probabilityBars } from '../charts/bars.js';
import { LESSONS } from '../lessons/index.js';
import { clear, el, explanation, tokenLabel } from '../ui/dom.js';
import { droppedFiles } from '../ui/drop.js';
import { describeProgress } from '../models/hub.js';
import { predictionTable } from '../ui/predictions.js';
import { predictionFlags } from '../ui/prediction-flags.js';
import { backendName } from '../ui/summary.js';
import { timelinePanel } from '../ui/timeline.js';

export const id = 'model';
export const title = 'Model & prompt';

const EXPLAIN = 'A language model reads the words of a prompt as tokens and gives every token in its '
  + 'vocabulary a probability of coming next. Pick a model and a prompt, and the bars below show the '
  + 'tokens it finds most likely. Recall prompts ask for a fact the model memorised in training; '
  + 'reasoning prompts can be answered only by working with what the prompt itself says.';

export function mount(container, actions) {
  const modelSelect = el('select', { id: 'model-select', 'aria-label': 'Shipped model', onchange: (e) => actions.selectModel(e.target.value) });
  const fileInput = el('input', { id: 'model-files', type: 'file', multiple: true, accept: '.json,.safetensors', onchange: (e) => pick(e.target) });
  const folderInput = el('input', { id: 'model-folder', type: 'file', webkitdirectory: true, onchange: (e) => pick(e.target) });
  function pick(input) {
    if (input.files?.length) actions.openFiles([...input.files]);
    input.value = '';
  }
  const drop = el('div', { class: 'drop', id: 'drop-zone' }, [
    el('p', { text: 'Or open your own: drop a Hugging Face model folder here (config.json, model.safetensors, tokenizer.json).' }),
    el('label', { class: 'file' }, ['Choose files… ', fileInput]),
    el('label', { class: 'file' }, ['Choose a folder… ', folderInput]),
  ]);
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer) droppedFiles(e.dataTransfer).then((files) => files.length && actions.openFiles(files), (err) => actions.notify(`The dropped files could not be read: ${err.message}`));
  });

  const hub = hubPanel(actions);
  const info = el('div', { class: 'model-info', id: 'model-info' });
  const cardButton = el('button', { type: 'button', id: 'model-card-toggle', text: 'Model card', 'aria-expanded': 'false', 'aria-controls': 'model-card', onclick: () => actions.toggleCard() });
  const card = el('div', { id: 'model-card', hidden: true });
  const startHere = el('section', { class: 'panel start-here', id: 'start-here', 'aria-label': 'Start here' });
  const promptBox = el('textarea', { id: 'prompt', rows: 2, spellcheck: 'false', 'aria-label': 'Prompt' });
  const runButton = el('button', { type: 'button', id: 'run-prompt', text: 'Predict', onclick: () => actions.setPrompt(promptBox.value) });
  promptBox.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      actions.setPrompt(promptBox.value);
    }
  });
  const kindSelect = el('select', { id: 'kind-select', 'aria-label': 'Kind of prompt' });
  const itemSelect = el('select', { id: 'item-select', 'aria-label': 'Suite item', onchange: (e) => e.target.value && actions.selectItem(e.target.value) });
  kindSelect.addEventListener('change', () => {
    const first = itemsOfKind(current?.model?.suite, kindSelect.value)[0];
    if (first) actions.selectItem(first.id);
  });
  // Shown when the suite marks the items the model answers wrong (a suite built for it).
  const keepWrong = el('input', { type: 'checkbox', id: 'keep-answered-wrong', onchange: (e) => actions.set({ answered: e.target.checked ? 'all' : null }) });
  const keepWrongRow = el('label', { class: 'keep-wrong', hidden: true }, [keepWrong,
    ' Analyse the items the model answers wrong (✗) too; by default the analyses leave them out, as the study does']);
  const suiteRow = el('div', { class: 'suite-row' }, [el('span', { text: 'From the suite: ' }), kindSelect, itemSelect, keepWrongRow]);
  const tokens = el('div', { class: 'tokens', id: 'tokens' });
  const results = el('div', { class: 'results', id: 'predictions' });
  const backendSelect = el('select', { id: 'backend-select', 'aria-label': 'Backend', onchange: (e) => actions.set({ backend: e.target.value }) }, [
    el('option', { value: 'wasm', text: 'Strata engine (C++ in WebAssembly)' }),
    el('option', { value: 'ort', text: 'ONNX Runtime Web (the shipped model.onnx)' }),
  ]);
  const parity = el('div', { class: 'parity', id: 'parity' });
  const threads = el('p', { class: 'explain', id: 'engine-threads' });
  const timeline = timelinePanel(actions);

  container.append(
    el('h2', { text: title }), startHere, explanation(EXPLAIN),
    el('section', { class: 'panel' }, [el('h3', { text: 'Model' }), el('div', { class: 'row' }, [modelSelect, cardButton]), info, card, drop, hub.panel]),
    timeline.element,
    el('section', { class: 'panel' }, [el('h3', { text: 'Prompt' }), el('div', { class: 'row' }, [promptBox, runButton]), suiteRow, tokens]),
    el('section', { class: 'panel' }, [results]),
    el('section', { class: 'panel' }, [el('h3', { text: 'Backend' }), el('p', { class: 'explain', text: BACKEND_EXPLAIN }), el('div', { class: 'row' }, [backendSelect]), threads, parity]),
  );

  let current = null;
  return {
    update(data) {
      current = data;
      fillStart(startHere, data, actions);
      fillModels(modelSelect, data);
      hub.update(data);
      fillInfo(info, data);
      timeline.update(data);
      fillCard(cardButton, card, data);
      if (document.activeElement !== promptBox) promptBox.value = data.prompt?.text ?? '';
      fillSuite(kindSelect, itemSelect, data);
      keepWrongRow.hidden = !data.model?.suite?.marked;
      keepWrong.checked = data.state.answered === 'all';
      fillTokens(tokens, data);
      fillPredictions(results, data, actions);
      backendSelect.value = data.state.backend;
      fillThreads(threads, data.threading);
      fillParity(parity, data);
    },
  };
}

const BACKEND_EXPLAIN = 'Two independent programs can run the shipped models: Strata\'s own engine, and ONNX Runtime '
  + 'running an export of the same model. If both give the same numbers, neither has a bug the other lacks. '
  + 'Every analysis runs on Strata\'s engine; predictions, attention and ablations follow the backend chosen here.';

// Which engine module runs: the threaded one splits each product over the cores.
function fillThreads(box, threading) {
  if (!threading) return;
  box.dataset.threads = threading.threaded ? threading.cores : 1;
  box.textContent = threading.threaded
    ? `The engine runs on ${threading.cores} threads: each matrix product is split over this device's cores.`
    : `The engine runs on one thread (${threading.reason}). ${threadsHint(threading)}`;
}

function threadsHint(threading) {
  if (threading.reason !== 'the page is not cross-origin isolated') return '';
  return navigator.serviceWorker?.controller
    ? 'Reload the page to use every core: the page\'s service worker isolates it from the next load.'
    : 'Where the page can install its service worker (https or localhost), a second visit uses every core.';
}

function fillParity(box, data) {
  clear(box);
  const p = data.parity;
  if (data.state.backend !== 'ort') {
    box.append(el('p', { class: 'note', text: 'Choose ONNX Runtime to compare the two backends on this prompt (it downloads about 14 MB once).' }));
    return;
  }
  if (!p || p.loading) {
    box.append(el('p', { class: 'loading', text: 'Loading ONNX Runtime and the model…' }));
    return;
  }
  if (p.error) {
    box.append(el('p', { class: 'error', role: 'alert', text: p.error }));
    return;
  }
  const fmt = (x) => (Number.isFinite(x) ? x.toExponential(2) : 'shapes differ');
  box.append(el('dl', { class: 'parity-list' }, [
    el('dt', { text: 'largest |difference| in the logits' }), el('dd', { id: 'parity-logits', dataset: { value: String(p.logits) }, text: fmt(p.logits) }),
    el('dt', { text: 'largest |difference| in the attention patterns' }), el('dd', { id: 'parity-attention', dataset: { value: String(p.attention) }, text: fmt(p.attention) }),
  ]), el('p', { class: 'note', text: `Over all ${p.tokens} positions, every layer and head${data.ablations.length ? ', with and without the ablations' : ''}. The predictions above come from ONNX Runtime.` }));
}

function fillModels(select, data) {
  clear(select);
  for (const m of data.manifest) select.append(el('option', { value: m.id, text: `${m.id} — ${m.description ?? m.model_type ?? ''}` }));
  if (data.model?.source === 'dropped') select.append(el('option', { value: data.model.id, text: data.model.hub ? data.model.name : `${data.model.name} (your files)` }));
  if (!select.options.length) select.append(el('option', { value: '', text: 'No shipped models: drop one below' }));
  select.value = data.model?.id ?? '';
}

function fillInfo(box, data) {
  clear(box);
  if (data.loading) box.append(el('p', { class: 'loading', text: data.loading }));
  if (data.modelError) box.append(el('p', { class: 'error', role: 'alert', id: 'model-error', text: data.modelError }));
  const i = data.model?.info;
  if (!i) return;
  const facts = [
    ['architecture', String(i.model_type)], ['layers', String(i.n_layers)], ['heads per layer', String(i.n_heads)],
    ['width (d_model)', String(i.d_model)], ['vocabulary', String(i.d_vocab)],
    ['parameters', Number.isFinite(i.parameters) ? i.parameters.toLocaleString('en') : '–'],
    ['weights kept in', String(i.weight_precision)],
    ['weights SHA-256', `${String(i.weights_sha256).slice(0, 16)}…`],
  ];
  box.append(el('p', { class: 'model-name', id: 'model-name', text: data.model.name }),
    el('dl', {}, facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])));
  if (data.model.suite?.error) box.append(el('p', { class: 'warning', text: `The prompt suite was left out: ${data.model.suite.error}.` }));
}

function itemsOfKind(suite, kind) {
  return (suite?.items ?? []).filter((it) => it.kind === kind);
}

const SPLIT_NAMES = {
  recall: { trained: 'facts learned in training', heldout: 'facts held out of training (the model never saw them)' },
  reasoning: { trained: 'prompts like the training ones', heldout: 'new prompts, held out of training' },
};

function splitName(family, split) {
  return SPLIT_NAMES[family]?.[split] ?? (split || 'other prompts');
}

// The suite menu: the kind of prompt (with its family), then its prompts by split,
// each named by its text and answer.
function fillSuite(kindSelect, itemSelect, data) {
  const items = data.model?.suite?.items ?? [];
  kindSelect.parentElement.hidden = !items.length;
  if (!items.length) return;
  const kinds = [...new Set(items.map((it) => it.kind))];
  const item = items.find((it) => it.id === data.state.item);
  const kind = item?.kind ?? kindSelect.value ?? kinds[0];
  clear(kindSelect);
  for (const family of [...new Set(items.map((it) => it.family || 'other'))]) {
    const group = el('optgroup', { label: `${family} prompts` });
    for (const k of kinds.filter((x) => (items.find((it) => it.kind === x)?.family || 'other') === family)) {
      group.append(el('option', { value: k, text: `${k} (${itemsOfKind(data.model.suite, k).length})` }));
    }
    kindSelect.append(group);
  }
  kindSelect.value = kinds.includes(kind) ? kind : kinds[0];
  clear(itemSelect);
  if (!item) itemSelect.append(el('option', { value: '', text: 'pick a prompt…' }));
  const ofKind = itemsOfKind(data.model.suite, kindSelect.value);
  for (const split of [...new Set(ofKind.map((it) => it.split))]) {
    const group = el('optgroup', { label: splitName(ofKind[0].family, split) });
    for (const it of ofKind.filter((x) => x.split === split).slice(0, 400)) {
      // An item the model answers wrong is shown, marked: the analyses over the suite leave it out.
      group.append(el('option', { value: it.id, title: it.answeredWrong ? `${it.id}: the model answers it wrong; analyses over the suite leave it out` : it.id,
        text: `${it.answeredWrong ? '✗ ' : ''}${it.prompt} → ${it.answer ?? '?'}${it.answeredWrong ? ' (answered wrong)' : ''}` }));
    }
    itemSelect.append(group);
  }
  itemSelect.value = item ? item.id : '';
}

// A first visit's next step: the first lesson, one click away.
function fillStart(box, data, actions) {
  clear(box);
  box.hidden = Boolean(data.state.lesson) || !LESSONS.length;
  if (box.hidden) return;
  const lesson = LESSONS[0];
  box.append(el('h3', { text: 'Start here' }),
    el('p', { text: `New to this? The lesson "${lesson.title}" takes you through the page in ${lesson.steps.length} short steps: ${lesson.summary}` }),
    el('button', { type: 'button', class: 'primary', id: 'start-here-lesson', dataset: { lesson: lesson.id }, text: `Start "${lesson.title}"`, onclick: () => actions.startLesson(lesson.id) }),
    el('span', { class: 'note', text: ' — or pick a model and a prompt below.' }));
}

function fillCard(button, box, data) {
  const card = data.card?.model === data.model?.id ? data.card : null;
  button.hidden = !data.model?.card;
  button.setAttribute('aria-expanded', String(Boolean(card)));
  button.textContent = card ? 'Hide the model card' : 'Model card';
  box.hidden = !card;
  clear(box);
  if (!card) return;
  if (card.error) box.append(el('p', { class: 'error', role: 'alert', text: card.error }));
  else if (card.text === null) box.append(el('p', { class: 'loading', text: 'Reading the model card…' }));
  else box.append(el('pre', { class: 'card-text', id: 'model-card-text', tabindex: 0, 'aria-label': 'Model card', text: card.text }));
}

function fillTokens(box, data) {
  clear(box);
  const tokens = data.prompt?.tokens;
  if (!tokens) return;
  box.append(el('span', { class: 'label', text: `${tokens.length} tokens: ` }));
  tokens.forEach((t, i) => box.append(el('span', { class: 'token-chip', title: `position ${i}, id ${data.prompt.ids[i]}`, text: tokenLabel(t) })));
}

function fillPredictions(box, data, actions) {
  clear(box);
  if (data.runError) box.append(el('p', { class: 'error', role: 'alert', text: data.runError }));
  if (!data.clean) {
    if (!data.runError) box.append(el('p', { class: 'loading', text: data.model ? 'Running the model…' : 'Open a model to see predictions.' }));
    return;
  }
  const answer = data.prompt?.item?.answer;
  const rows = data.clean.top.map((t) => ({ token: t.token, id: t.id, values: [t.probability], highlight: t.id === data.answerId }));
  if (data.answerId >= 0 && !rows.some((r) => r.highlight)) {
    rows.push({ token: answer, id: data.answerId, values: [data.clean.probs[data.answerId]], highlight: true });
  }
  const chart = {
    svg: probabilityBars({ rows, series: ['probability'], title: 'Next-token predictions' }),
    rows: rows.map((r) => ({ token: r.token, id: r.id, probability: r.values[0] })),
  };
  const flags = predictionFlags(data);
  if (flags.length) box.append(el('ul', { class: 'prediction-flags', id: 'prediction-flags' }, flags.map((f) => el('li', { class: 'warning', dataset: { flag: f.kind }, text: f.text }))));
  const shown = data.clean.top.length;
  const answerAdded = data.answerId >= 0 && !data.clean.top.some((t) => t.id === data.answerId);
  box.append(figure({
    title: 'What comes next?', name: 'predictions', chart, onError: actions.notify,
    caption: `The ${shown} most likely next tokens, computed by ${backendName(data.backend)}`
      + (answer ? `; the suite's expected answer is "${answer}" (marked ✓${answerAdded ? `, added below the top ${shown}` : ''}).` : '.'),
  }));
  if (data.ablations?.length) box.append(el('p', { class: 'note', text: `These are the unchanged model's predictions; ${data.ablations.length} ablation(s) are active in the Ablation view.` }));
  box.append(predictionTable(rows, ['probability']));
}

const HUB_EXPLAIN = 'Or open a model from the Hugging Face Hub: give its id and revision (owner/name@revision). '
  + 'The page then fetches config.json, tokenizer.json and model.safetensors (or its shards) from huggingface.co and its download hosts. '
  + 'This is the only request the page ever makes to another site, and only when you press the button; the files stay in this browser, so the next visit opens them offline.';

function hubPanel(actions) {
  const input = el('input', { id: 'hub-id', type: 'text', spellcheck: 'false', placeholder: 'owner/name@main', 'aria-label': 'Hugging Face model id and revision' });
  const open = el('button', { type: 'button', id: 'hub-open', text: 'Open from the Hub', onclick: () => actions.openHub(input.value) });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') actions.openHub(input.value); });
  const bar = el('progress', { id: 'hub-bar', max: 1, value: 0, 'aria-label': 'Download from the Hub' });
  const line = el('span', { id: 'hub-progress-text' });
  const cancel = el('button', { type: 'button', id: 'hub-cancel', text: 'Cancel', onclick: () => actions.cancelHub() });
  const progress = el('div', { class: 'row', id: 'hub-progress', hidden: true }, [bar, line, cancel]);
  const panel = el('div', { class: 'hub', id: 'hub' }, [el('p', { class: 'explain', text: HUB_EXPLAIN }), el('div', { class: 'row' }, [input, open]), progress]);
  return {
    panel,
    update(data) {
      if (!input.value && document.activeElement !== input && data.state.hub) input.value = data.state.hub;
      const hub = data.hub;
      progress.hidden = !hub;
      open.disabled = Boolean(hub);
      if (!hub) return;
      const p = hub.progress;
      bar.value = p?.total ? p.received / p.total : 0;
      line.textContent = p ? describeProgress(p) : `Connecting to the Hub for ${hub.name}…`;
    },
  };
}
