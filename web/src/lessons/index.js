// Guided lessons for a classroom. A lesson is a list of steps; each step has a
// title, a short text, an optional question to discuss, and the page state it
// sets (view, suite item, selected layer/head, ablations). Because every step is
// a state, every step is also a link (#n=<lesson>&k=<step>&…).
//
// state(ctx) gets {model, item(kind, split)} and returns a patch of the URL
// state; item() picks the first suite item of a kind of the current model, so
// the lessons work on every model whose suite has those kinds.

const clean = { interventions: [], layer: 0, head: 0, prompt: null };

function onItem(ctx, kind, split, patch) {
  const item = ctx.item(kind, split);
  return item ? { ...clean, item, ...patch } : { ...clean, ...patch };
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
        text: 'Each small square is one attention head. Rows are the token doing the looking, columns the token looked at. Many early heads form a diagonal just below the main one: they look at the previous token.',
        ask: 'Find a head whose squares sit just below the diagonal. Which layer is it in?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attention', layer: 0, head: 0 }),
      },
      {
        title: 'One head from the last token',
        text: 'In the last layer, the final token (the question mark) decides the answer. The detail shows where one of those heads looks from there.',
        ask: 'Does this head look at the person\'s name, or at the facts given in the prompt?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attention', layer: Math.max(0, (ctx.model?.info.n_layers ?? 1) - 1), head: 0 }),
      },
      {
        title: 'Following attention through the layers',
        text: 'Attention flow multiplies the layers\' attention together (rollout) or finds how much can flow along them (max-flow), to show which input tokens the last position can draw on at all.',
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
        ask: 'At which layer does the answer\'s rank reach 1?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'lens' }),
      },
      {
        title: 'Who writes the answer?',
        text: 'Direct logit attribution splits the final answer score into what each head and MLP added. Large bars are the parts that write the fact.',
        ask: 'Are the biggest contributions from MLPs or from heads?',
        state: (ctx) => onItem(ctx, 'city', 'trained', { view: 'attribution' }),
      },
      {
        title: 'Proving it by patching',
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
        text: 'This prompt gives an order between letters and asks which of two is bigger. Nothing here can be memorised: the answer must be worked out from the prompt.',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'model' }),
      },
      {
        title: 'Where the last token looks',
        text: 'In reasoning prompts, heads in later layers look from the question back to the evidence: the statements "x > y".',
        ask: 'Which head looks at the evidence the most?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'attention', layer: Math.max(0, (ctx.model?.info.n_layers ?? 1) - 1) }),
      },
      {
        title: 'Patching the evidence',
        text: 'The corrupted prompt reverses the order. Patching shows which positions carry the evidence forward, and in which layers.',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'patching' }),
      },
      {
        title: 'When the answer forms',
        text: 'The logit lens shows how late the answer of a reasoning prompt appears, compared with a recalled fact.',
        ask: 'Does the answer appear earlier or later than in the recall lesson?',
        state: (ctx) => onItem(ctx, 'compare', 'heldout', { view: 'lens' }),
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
];

export function lessonById(id) {
  return LESSONS.find((l) => l.id === id) ?? null;
}
