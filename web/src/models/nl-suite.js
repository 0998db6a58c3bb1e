// A suite for a model opened without one: the engine builds it from the site's
// natural-language bank (models/nl-bank/bank.json, copied from the repository)
// for the model's own tokenizer, as `strata suite` does (src/bank/suite-builder.h):
// recall and reasoning prompts of one token length, one-token answers and
// corruptions of the same length. Only byte-level BPE tokenizers qualify; the
// engine says why when it refuses. The engine then runs the model on every item
// and marks those it answers wrong ("answered_wrong"), which the analyses leave
// out, as `strata suite --model` does.
import { parseSuite } from './sources.js';

export const BANK_PATH = 'models/nl-bank/bank.json';
export const NL_SUITE_SEED = 0;  // the command line's default, so `strata suite` writes the same file

export async function buildNlSuite(pool, key, base, onProgress = null) {
  const response = await fetch(new URL(BANK_PATH, base));
  if (!response.ok) throw new Error(`${BANK_PATH}: the server answered ${response.status}`);
  const { suite: text } = await pool.buildSuite(key, await response.text(), NL_SUITE_SEED, onProgress);
  return { text, suite: parseSuite(text, 'the built suite'), summary: summarise(JSON.parse(text)) };
}

// "190 recall and 190 reasoning items of 16 tokens (capital 43, …); 2,411 candidates dropped;
// the model answers 120 of the 190 recall and 31 of the 190 reasoning items right, and the analyses use those".
function summarise(suite) {
  const kept = Object.entries(suite.build?.kept ?? {});
  const wrong = new Set(suite.answered_wrong?.items ?? []);
  const count = (family, right = false) => suite.items.filter((item) => item.family === family && !(right && wrong.has(item.id))).length;
  const dropped = Object.values(suite.build?.dropped ?? {}).flatMap((reasons) => Object.values(reasons)).reduce((a, b) => a + b, 0);
  const answered = suite.answered_wrong
    ? `; the model answers ${count('recall', true)} of the ${count('recall')} recall and ${count('reasoning', true)} of the ${count('reasoning')} reasoning items right, and the analyses use those`
    : '';
  return `${count('recall')} recall and ${count('reasoning')} reasoning items of ${suite.prompt_tokens} tokens `
    + `(${kept.map(([kind, n]) => `${kind} ${n}`).join(', ')}); ${dropped.toLocaleString('en')} candidates dropped${answered}`;
}
