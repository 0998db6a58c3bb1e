// Token ids back to token text for charts that list tokens the engine names by
// id (lens cells, ONNX Runtime's logits): the inverse of tokenizer.json's
// model.vocab (WordLevel and BPE both carry one) plus its added_tokens.
export function vocabulary(tokenizerText) {
  const names = new Map();
  if (!tokenizerText) return names;
  try {
    const t = JSON.parse(tokenizerText);
    const vocab = t?.model?.vocab;
    if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
      for (const [token, id] of Object.entries(vocab)) if (Number.isInteger(id)) names.set(id, token);
    }
    for (const a of Array.isArray(t?.added_tokens) ? t.added_tokens : []) {
      if (Number.isInteger(a?.id) && typeof a.content === 'string') names.set(a.id, a.content);
    }
  } catch {
    // A tokenizer the engine accepted but this reader cannot: ids are shown as #id.
  }
  return names;
}
