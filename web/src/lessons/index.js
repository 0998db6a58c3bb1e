// Guided lessons for a classroom. A lesson is a list of steps; each step has a
// title, a short text, an optional question to discuss, and the page state it
// sets (view, suite item, selected layer/head, ablations). Because every step is
// a state, every step is also a link (#n=<lesson>&k=<step>&…).
//
// state(ctx) gets {model, item(kind, split)} and returns a patch of the URL
// state; item() picks the first suite item of a kind of the current model, so
// the lessons work on every model whose suite has those kinds.
//
// A step's text states no result as fact. A step that says what this model
// does has say(data): it computes the sentence from the analyses the step's
// view has run, when the step is shown, and returns {text, claim} (claim: the
// figures the sentence states, which tests/browser/lesson-checks.mjs checks
// against the engine's command line or the model's files) or {text, pending: true} while they run.
import { percent } from '../ui/dom.js';
import { formedSentence, formedSteps } from '../ui/timeline.js';
import { foilLead } from '../views/lens.js';
import { labelRows } from '../views/study.js';

// A step opens the final weights unless it names a training checkpoint.
const clean = { interventions: [], layer: 0, head: 0, prompt: null, checkpoint: null };

function onItem(ctx, kind, split, patch) {
  const item = ctx.item(kind, split);
  return item ? { ...clean, item, ...patch } : { ...clean, ...patch };
}

// --- figures computed from the current model's analyses ---------------------------

function done(data, label) {
  const entry = data.analyses?.[label];
  return entry?.status === 'done' ? entry.result : null;
}

function pending(what) {
  return { text: `The figure for this model appears here once the ${what} has run.`, pending: true };
}

export function boundaryWords(b) {
  return b === 0 ? 'at the embeddings, before any layer' : `after layer ${b - 1}`;
}

// The first boundary at which the logit lens ranks the answer first at the prompt's last token.
export function answerEmerges(data) {
  const r = done(data, 'logit-lens');
  if (r?.mode !== 'prompt') return pending('logit lens');
  const last = r.case.tokens.length - 1;
  const ranks = r.lens.boundaries.map((b) => b.cells[last].target_rank);
  const first = ranks.indexOf(1);
  const answer = data.tokenOf(r.case.answer);
  const layers = ranks.length - 1;
  const claim = { kind: 'lens-first-top1', item: r.case.item, boundary: first };
  if (first < 0) {
    return { claim, text: `On this model and prompt, the logit lens never makes "${answer}" the top guess at the last token, `
      + `not even at the output, where it ranks #${ranks[layers]}.` };
  }
  return { claim, text: `On this model and prompt, the logit lens first makes "${answer}" the top guess at the last token `
    + `${boundaryWords(first)} (the model has ${layers} layers).` };
}

// On a conflict item: which of the stated and the memorised answer the logit lens
// puts ahead at the output, and from which boundary on (the lens view's caption).
export function memoryAgainstPrompt(data) {
  const r = done(data, 'logit-lens');
  if (r?.mode !== 'prompt') return pending('logit lens');
  const item = data.prompt?.item;
  if (item?.family !== 'conflict' || r.lens.foil === null || r.lens.foil === undefined) {
    return { claim: { kind: 'none' }, text: 'This model\'s suite has no conflict items, so there is no memorised answer to set against the prompt.' };
  }
  const { answerWins, from, out } = foilLead(r, r.case.tokens.length - 1);
  const stated = `the stated "${data.tokenOf(r.case.answer)}"`;
  const memorised = `the memorised "${data.tokenOf(r.lens.foil)}"`;
  const [winner, loser] = answerWins ? [stated, memorised] : [memorised, stated];
  return { claim: { kind: 'lens-foil', item: r.case.item, answer_wins: answerWins, from },
    text: `On this model and prompt the logit lens puts ${winner} ahead of ${loser} at the output `
      + `(${percent(answerWins ? out.target_prob : out.foil_prob)} against ${percent(answerWins ? out.foil_prob : out.target_prob)}), `
      + `and ahead from ${from === 0 ? 'the embeddings' : boundaryWords(from)} on.` };
}

// The training timeline of the model on screen: null while it is read, or
// {none: true} for a model that has none (one opened from files or the Hub).
function shownTimeline(data) {
  const entry = data.manifest?.find((m) => m.id === data.model?.id);
  if (data.model?.source !== 'shipped' || typeof entry?.timeline !== 'string') return { none: true };
  return data.timelines?.[entry.id] ?? null;
}

const NO_TIMELINE = { claim: { kind: 'no-timeline' },
  text: 'This model has no saved training checkpoints: the shipped models of the second world have them.' };

// Accuracy per kind at the saved checkpoint on screen, from the model's timeline.
export function accuracyAtStep(data) {
  const timeline = shownTimeline(data);
  if (timeline?.none) return NO_TIMELINE;
  if (!timeline) return pending('training timeline');
  const at = timeline.checkpoints.find((c) => c.step === data.state.checkpoint);
  if (!at) return { claim: { kind: 'no-step' }, text: 'The model on screen has its final weights: pick a saved step in the training timeline.' };
  const kinds = Object.entries(at.accuracy).filter(([, a]) => a.memory === undefined);
  const list = kinds.map(([k, a]) => `${percent(a.accuracy)} of ${k}`);
  return { claim: { kind: 'timeline-step', step: at.step, accuracy: Object.fromEntries(kinds.map(([k, a]) => [k, a.accuracy])) },
    text: `At training step ${at.step} this model answers ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]} `
      + 'prompts right (each kind on the split it is scored on).' };
}

// When each kind reached the timeline's bar and stayed there.
export function kindsFormed(data) {
  const timeline = shownTimeline(data);
  if (timeline?.none) return NO_TIMELINE;
  if (!timeline) return pending('training timeline');
  return { claim: { kind: 'timeline-formed', formed: formedSteps(timeline) },
    text: `This model was saved at ${timeline.checkpoints.length} steps of its training. ${formedSentence(timeline)}` };
}

export function counted(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function studyRows(data) {
  const study = done(data, 'study');
  return study?.labels ? labelRows(study) : null;
}

export function studyLabels(data) {
  const rows = studyRows(data);
  if (!rows) return pending('study');
  const real = rows[0];
  const labels = real.layerLabels.map((l, i) => `layer ${i} ${l}`).join(', ');
  return { claim: { kind: 'study-real', layers: real.layers, heads: real.heads },
    text: `On this model the study labels ${real.layers} of ${real.nLayers} layers (${labels}) and ${real.heads} of `
      + `${real.nHeads} heads as recall, reasoning or mixed.` };
}

export function studyNullsSaid(data) {
  const rows = studyRows(data);
  if (!rows) return pending('study');
  const [real, ...nulls] = rows;
  const ran = nulls.filter((n) => !n.skipped);
  const asMany = ran.filter((n) => n.layers >= real.layers).length;
  const parts = nulls.map((n) => (n.skipped ? `"${n.name}" could not be run (${n.skipped})`
    : `"${n.name}" labels ${counted(n.layers, 'layer')} and ${counted(n.heads, 'head')}`));
  return { claim: { kind: 'study-nulls', nulls: nulls.map((n) => (n.skipped ? { name: n.name, skipped: true } : { name: n.name, layers: n.layers, heads: n.heads })), as_many: asMany },
    text: `The real contrast labels ${counted(real.layers, 'layer')} and ${counted(real.heads, 'head')}. On the same model ${parts.join('; ')}. `
      + `${asMany} of ${ran.length} control contrasts label at least as many layers as the real contrast.` };
}

export function causalCheck(data) {
  const r = done(data, 'circuits');
  if (typeof r?.separated !== 'boolean') return pending('circuits analysis');
  return { claim: { kind: 'circuits', holds: r.separated },
    text: `On this model the test says: ${r.statement}` };
}

export const LESSONS = [
  {
    id: 'attention',
    title: 'What attention looks at',
    summary: 'Read attention patterns: which earlier tokens each head looks at, and how that adds up across layers.',
    steps: [
      {
        title: 'A prompt and a prediction',
        text: 'This prompt lists three people with a fact each, then asks about a fourth person whose fact the model learned in training. The bars show what the model expects next.',
        ask: 'Is the expected answer (marked ✓) the model\'s first choice?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'model' }),
      },
      {
        title: 'Every head at a glance',
        text: 'Each small square is one attention head. Rows are the token doing the looking, columns the token looked at. A head whose weight sits just below the main diagonal looks at the previous token.',
        ask: 'Is there such a head here? Which layer is it in?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attention', layer: 0, head: 0 }),
      },
      {
        title: 'One head from the last token',
        text: 'The prediction is read at the final token (the question mark). The detail shows where one head of the last layer looks from there.',
        ask: 'Does this head look at the person\'s name, or at the facts given in the prompt?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attention', layer: Math.max(0, (ctx.model?.info.n_layers ?? 1) - 1), head: 0 }),
      },
      {
        title: 'Following attention through the layers',
        text: 'Attention flow multiplies the layers\' attention together (rollout) or finds how much can flow along them (max-flow), to show which input tokens the last position can draw on at all. It says where information can come from, not what is used.',
        ask: 'Which input tokens carry the most flow to the question mark?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'flow' }),
      },
    ],
  },
  {
    id: 'recall',
    title: 'Where a fact is recalled',
    summary: 'Follow a memorised fact from the weights into the prediction, layer by layer.',
    steps: [
      {
        title: 'A fact from memory',
        text: 'The person\'s city is not in the prompt: the model must recall it from what it learned.',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'model' }),
      },
      {
        title: 'When does the answer appear?',
        text: 'The logit lens reads the residual stream after every layer as if it were the last. The row of the question mark shows at which layer the answer becomes the top guess.',
        say: answerEmerges,
        ask: 'Does the tuned lens, which first corrects each layer with a fitted map, agree?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'lens' }),
      },
      {
        title: 'Who writes the answer?',
        text: 'Direct logit attribution splits the final answer score into what each head and MLP added directly. Large bars are the parts that write the answer\'s score; a part that works through later layers gets no bar.',
        ask: 'Are the biggest contributions from MLPs or from heads?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attribution' }),
      },
      {
        title: 'Testing it by patching',
        text: 'Activation patching runs the prompt with another person\'s name, then copies one activation back from the original run. Where that restores the answer, the fact is carried.',
        ask: 'At which positions and layers does patching restore the answer?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'patching' }),
      },
    ],
  },
  {
    id: 'inference',
    title: 'How an in-context inference is carried',
    summary: 'A question answered only from the prompt: how the evidence moves to the answer position.',
    steps: [
      {
        title: 'An answer that is only in the prompt',
        text: 'This prompt says three times which of two cities is bigger, in an order made up for this prompt, then asks which of two cities is the bigger. The model never saw this order in training: the answer must be worked out from the statements, by chaining them when the two cities asked about are not stated together.',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'model' }),
      },
      {
        title: 'Where the last token looks',
        text: 'The evidence is the statements "x > y". A head that reads it looks from the question back to them.',
        ask: 'Do heads in later layers look at the evidence? Which one the most?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'attention', layer: Math.max(0, (ctx.model?.info.n_layers ?? 1) - 1) }),
      },
      {
        title: 'Patching the question',
        text: 'The corrupted prompt asks about another city in place of one of the two, which changes the answer; every other token is the same. Patching copies one activation at a time from this prompt into the corrupted run: where that brings the answer back, that position and layer carry what decides it.',
        ask: 'Is it carried at the swapped city, at the statements, or at the last token? From which layer on?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'patching' }),
      },
      {
        title: 'When the answer forms',
        text: 'The logit lens again, on this reasoning prompt.',
        say: answerEmerges,
        ask: 'Is that earlier or later than for the recalled city? Go back to that step of the recall lesson to compare.',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'lens' }),
      },
    ],
  },
  {
    id: 'memory',
    title: 'Memory against the prompt',
    summary: 'The same question answered from memory or from the prompt, and what happens when the two disagree.',
    steps: [
      {
        title: 'The same question, answered from the prompt',
        text: 'This person was never in training. The prompt states their city or job, and the question is worded exactly as a recall question: the answer can only be read from the prompt, among facts about other people (about half the time one of them shares a first or last name with this person).',
        ask: 'Is the expected answer (marked ✓) the model\'s first choice? Does another person in the prompt share a name with this one?',
        state: (ctx) => onItem(ctx, 'lookup', 'heldout', { view: 'model' }),
      },
      {
        title: 'When memory and prompt disagree',
        text: 'Now the prompt states a fact about a person whose fact the model memorised in training, and the two differ. The model was never trained on such prompts: which source wins is up to what it learned.',
        ask: 'Which does the model prefer here, the stated answer or the memorised one? Would you have guessed?',
        state: (ctx) => onItem(ctx, 'conflict', 'trained', { view: 'model' }),
      },
      {
        title: 'Where each answer rises',
        text: 'The logit lens follows both answers through the layers at the last token: the stated one and the memorised one.',
        say: memoryAgainstPrompt,
        ask: 'Does one answer lead early and the other take over later? In which layer does the lead change?',
        state: (ctx) => onItem(ctx, 'conflict', 'trained', { view: 'lens' }),
      },
      {
        title: 'Who pushes which answer?',
        text: 'Direct logit attribution splits the difference between the stated and the memorised answer\'s scores into what each head and MLP adds: a positive bar pushes the stated answer, a negative one the memorised answer.',
        ask: 'Do the MLPs, where facts are often stored, push the memorised answer? Which heads push the stated one?',
        state: (ctx) => onItem(ctx, 'conflict', 'trained', { view: 'attribution' }),
      },
      {
        title: 'Where the statement is carried',
        text: 'The corrupted prompt states the memorised answer instead, so there memory and prompt agree. Patching copies one activation at a time from this prompt into that run: where that brings back the stated answer, the statement is carried there.',
        ask: 'Is the statement carried at the stated word itself, at the person\'s name, or at the last token? From which layer on?',
        state: (ctx) => onItem(ctx, 'conflict', 'trained', { view: 'patching' }),
      },
    ],
  },
  {
    id: 'training',
    title: 'Watching recall and reasoning form',
    summary: 'Open the model as it was at checkpoints saved during training, and see which kinds of prompt it learns first.',
    timeline: true,
    steps: [
      {
        title: 'Early in training',
        text: 'These are the model\'s weights at its first saved checkpoint, early in training. The training timeline in this view charts how often the model answered each kind of prompt right at every saved step; its menu and buttons open any of them.',
        say: accuracyAtStep,
        ask: 'Is the memorised city already the model\'s first choice here?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'model', checkpoint: ctx.timeline?.checkpoints[0]?.step ?? null }),
      },
      {
        title: 'A question from the prompt, at the same step',
        text: 'The same checkpoint on a prompt whose answer can only be read from the prompt itself.',
        ask: 'Does the model read the stated answer yet? Press "Later" in the timeline to step forward: at which step does it start to?',
        state: (ctx) => onItem(ctx, 'lookup', 'heldout', { view: 'model', checkpoint: ctx.timeline?.checkpoints[0]?.step ?? null }),
      },
      {
        title: 'Which kind forms first?',
        text: 'Back at the final weights. The accuracy chart of the timeline shows, kind by kind, from which saved step on the model keeps answering right.',
        say: kindsFormed,
        ask: 'Are facts recalled from memory learned before answers read from the prompt? Does the circuits chart change at the same steps?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'model' }),
      },
    ],
  },
  {
    id: 'breaking',
    title: 'Breaking recall without breaking reasoning',
    summary: 'Find the parts whose loss breaks one family of prompts and spares the other, and test the claim against chance.',
    steps: [
      {
        title: 'One scatter for both families',
        text: 'In the dissociation explorer each point is a set of parts switched off, placed by the damage it does to recall (right) and to reasoning (up), in points: 0 is untouched, 100 leaves the answer no better than its foil. On the dashed diagonal both suffer alike. The shaded boxes are where a part that breaks one family and spares the other would sit.',
        ask: 'Which single parts (green) lie nearest the right-hand box, and which nearest the top one? Are any inside?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'study' }),
      },
      {
        title: 'Two circuits, judged on new prompts',
        text: 'The two large points are the recall circuit and the reasoning circuit the search chose. They were chosen on one set of prompts and are drawn on prompts the search never saw; the crosses are their 95% intervals. The claim "this circuit is selective" holds only if the whole cross sits in its box, and the sentence above the charts, computed from these same numbers, says which condition held and which failed.',
        ask: 'Does either cross lie wholly inside its box? Which condition does the sentence name?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'study' }),
      },
      {
        title: 'Against random circuits',
        text: 'The grey cloud is random circuits with as many heads and MLPs as the chosen ones. A circuit that sits among them says little; the list under the first chart gives the share of random circuits each one beats.',
        ask: 'Does each circuit stand apart from the grey cloud, and beat at least 95% of its random circuits?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'study' }),
      },
      {
        title: 'Switch it off yourself',
        text: 'Click the recall circuit (or a single part) in the scatter: the ablation view opens with it switched off. Try a recall prompt and a reasoning prompt.',
        ask: 'On this reasoning prompt, does the answer survive without the recall circuit? Does one prompt agree with what the scatter shows for hundreds?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'ablation' }),
      },
    ],
  },
  {
    id: 'correlation',
    title: 'What a correlation can and cannot tell you',
    summary: 'The study labels layers and heads by how differently they behave on recall and reasoning prompts. What is such a label worth?',
    steps: [
      {
        title: 'Labels from statistics',
        text: 'For every layer and head the study compares its activations on recall prompts and on reasoning prompts (Cohen\'s d, a rank test, a correction for testing many units) and labels the units where enough measures differ.',
        say: studyLabels,
        ask: 'Does a label say what the unit does, or only that it behaves differently?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'study' }),
      },
      {
        title: 'The same statistics where nothing should differ',
        text: 'A difference can come from anything that differs between the prompts, such as which tokens they hold. So the same pipeline also runs on contrasts with no recall/reasoning difference: two random halves of a family, one kind against another of the same family, and the real contrast on a model with random weights. The table under the statistics shows them.',
        say: studyNullsSaid,
        ask: 'If a random model gets as many labels, what do the labels measure?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'study' }),
      },
      {
        title: 'The causal check',
        text: 'Only switching units off tells whether the model needs them. The circuits analysis picks a recall circuit and a reasoning circuit by ablation, then switches each off whole on prompts the choice never saw.',
        say: causalCheck,
        ask: 'Do the labelled layers and the circuits point to the same units?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'study' }),
      },
    ],
  },
];

export function lessonById(id) {
  return LESSONS.find((l) => l.id === id) ?? null;
}
