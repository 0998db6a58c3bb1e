// What the model cannot know, said beside its prediction: a recall fact that was
// held out of training (the model never saw it, so any answer is a guess), and
// words of the prompt that are not in the model's vocabulary ([UNK]: the model
// reads them all as one unknown token).
const UNKNOWN = new Set(['[UNK]', '<unk>', '<|unk|>']);

// -> [{kind: 'heldout' | 'unknown', text}]
export function predictionFlags(data) {
  const flags = [];
  const item = data.prompt?.item;
  if (item && item.split === 'heldout' && item.family === 'recall') {
    flags.push({ kind: 'heldout', text: `Held-out fact: "${item.id}" was kept out of training, so the model never learned it and cannot recall it; any answer it gives is a guess.` });
  }
  const tokens = data.prompt?.tokens ?? [];
  const unknown = tokens.filter((t) => UNKNOWN.has(t)).length;
  if (unknown) {
    flags.push({ kind: 'unknown', text: `${unknown} ${unknown === 1 ? 'word' : 'words'} of the prompt ${unknown === 1 ? 'is' : 'are'} not in this model's vocabulary ([UNK]): `
      + 'the model reads every unknown word as the same token, so it cannot know what they mean.' });
  }
  return flags;
}
