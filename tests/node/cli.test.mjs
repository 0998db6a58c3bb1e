// The command line: JSON output, and exit status 2 with one line on stderr
// for every kind of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { parityDir, root, strataBin, strata } from './helpers.mjs';

const gpt2 = join(parityDir, 'gpt2-f32');
const llama = join(parityDir, 'llama-gqa-f32');

test('info describes the model', () => {
  const r = strata('info', '--model', llama, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.model_type, 'llama');
  assert.ok(r.json.n_kv_heads < r.json.n_heads, 'the llama fixture uses grouped-query attention');
  assert.match(r.json.weights_sha256, /^[0-9a-f]{64}$/);
  assert.ok(r.json.hooks.includes('blocks.0.attn.hook_rot_q'));
  assert.equal(r.json.weight_precision, 'F32');
  assert.equal(strata('info', '--model', join(parityDir, 'llama-gqa-bf16'), '--json').json.weight_precision, 'BF16');
});

test('run gives top-k probabilities, logits and captures', () => {
  const r = strata('run', '--model', gpt2, '--token-ids', '1,2,3', '--json', '--top-k', '5', '--logits',
    '--capture', 'blocks.0.attn.hook_pattern,hook_embed');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.json.ids, [1, 2, 3]);
  assert.equal(r.json.top_k.length, 5);
  const probs = r.json.top_k.map((t) => t.probability);
  assert.deepEqual(probs, [...probs].sort((a, b) => b - a));
  const best = r.json.logits.indexOf(Math.max(...r.json.logits));
  assert.equal(r.json.top_k[0].id, best);
  const pattern = r.json.captures['blocks.0.attn.hook_pattern'];
  assert.equal(pattern.shape[1], 3);
  assert.equal(pattern.data.length, pattern.shape.reduce((a, b) => a * b));
  assert.deepEqual(Object.keys(r.json.captures).sort(), ['blocks.0.attn.hook_pattern', 'hook_embed']);
});

test('an intervention file changes the prediction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  const file = join(dir, 'ablate.json');
  writeFileSync(file, JSON.stringify([{ hook: 'blocks.1.hook_mlp_out', op: 'scale', factor: 0 },
    { hook: 'blocks.1.hook_attn_out', op: 'zero' }]));
  const clean = strata('run', '--model', gpt2, '--token-ids', '5,6,7', '--json', '--logits');
  const ablated = strata('run', '--model', gpt2, '--token-ids', '5,6,7', '--json', '--logits', '--intervene', file);
  assert.equal(ablated.status, 0, ablated.stderr);
  assert.notDeepEqual(ablated.json.logits, clean.json.logits);
});

test('bad input exits with status 2 and one line naming the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  const badIv = join(dir, 'bad.json');
  writeFileSync(badIv, '[{"hook": "blocks.9.hook_mlp_out", "op": "zero"}]');
  const dupIv = join(dir, 'dup.json');
  writeFileSync(dupIv, '[{"hook": "hook_embed", "op": "zero", "op": "scale"}]');
  const opIv = join(dir, 'op.json');
  writeFileSync(opIv, '[{"hook": "hook_embed", "op": "zero"}, {"hook": "hook_embed", "op": "delete"}]');
  const notArrayIv = join(dir, 'object.json');
  writeFileSync(notArrayIv, '{"hook": "hook_embed", "op": "zero"}');
  const cases = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run', '--model', gpt2, '--token-ids', '1'], null],  // valid: checked below to exit 0
    [['run', '--model', '/nonexistent', '--token-ids', '1'], /\/nonexistent\/config.json: no such file/],
    [['run', '--model', gpt2], /exactly one of --prompt and --token-ids/],
    [['run', '--model', gpt2, '--token-ids', '1,x'], /--token-ids: expected comma-separated non-negative integers, found "x"/],
    [['run', '--model', gpt2, '--token-ids', '999999'], /token 0: expected an id in \[0, \d+\), found 999999/],
    [['run', '--model', gpt2, '--token-ids', '1', '--top-k', '-3'], /--top-k: expected an integer/],
    [['run', '--model', gpt2, '--token-ids', '1', '--capture', 'blocks.0.nope'],
      'strata run: capture: "blocks.0.nope" is not a hook of this gpt2 model'],
    // An interventions file is named in every message about it, as every other file is.
    [['run', '--model', gpt2, '--token-ids', '1', '--intervene', badIv],
      `strata run: ${badIv}: [0]: hook: "blocks.9.hook_mlp_out" is not a hook of this gpt2 model`],
    [['run', '--model', gpt2, '--token-ids', '1', '--intervene', opIv],
      `strata run: ${opIv}: [1]: op: expected zero, mean, patch or scale, found "delete"`],
    [['run', '--model', gpt2, '--token-ids', '1', '--intervene', notArrayIv],
      `strata run: ${notArrayIv}: expected an array of interventions, found object`],
    [['run', '--model', gpt2, '--token-ids', '1', '--intervene', dupIv], `strata run: ${dupIv}: duplicate key "op" at /0`],
    [['run', '--model', gpt2, '--token-ids', '1', '--colour', 'red'], /unknown option --colour/],
    [['run', '--model', gpt2, '--prompt', 'hi'], /no tokenizer.json/],
    [['tokenize', '--tokenizer', join(gpt2, 'config.json'), '--text', 'x'], /tokenizer.json|config.json/],
  ];
  for (const [args, message] of cases) {
    const r = strata(...args);
    if (message === null) {
      assert.equal(r.status, 0, r.stderr);
      continue;
    }
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    if (typeof message === 'string') assert.equal(lines[0], message, args.join(' '));  // the exact line
    else assert.match(lines[0], message, args.join(' '));
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});

test('text that is not UTF-8 is refused naming the option that gave it, not the tokenizer', () => {
  // Node passes arguments as UTF-8 strings, so the shell makes the byte 0xFF.
  const shipped = join(root, 'models/tiny-gpt2-world2');
  const withBadText = (...args) => spawnSync('bash', ['-c', '"$@" "$(printf \'abc\\377\')"', 'bash', strataBin, ...args], { encoding: 'utf8' });
  for (const [args, message] of [
    [['tokenize', '--tokenizer', join(shipped, 'tokenizer.json'), '--text'], 'strata tokenize: --text: invalid UTF-8 at byte 3'],
    [['run', '--model', shipped, '--prompt'], 'strata run: --prompt: invalid UTF-8 at byte 3'],
  ]) {
    const r = withBadText(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.equal(r.stderr, `${message}\n`);
  }
});

// --- nothing silent: non-finite numbers, unreadable files, one-line messages ---

const shipped = join(root, 'models/tiny-gpt2-world2');

// A copy of a model folder whose model.safetensors has one NaN in the embedding row of token `row`.
function modelWithNaN(row, column) {
  const dir = mkdtempSync(join(tmpdir(), 'strata-nan-'));
  const bytes = Buffer.from(readFileSync(join(gpt2, 'model.safetensors')));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const name = Object.keys(header).find((k) => k.endsWith('wte.weight'));
  const { dtype, shape, data_offsets: [begin] } = header[name];
  assert.equal(dtype, 'F32');
  const index = row * shape[1] + column;
  bytes.writeFloatLE(NaN, 8 + headerLength + begin + 4 * index);
  writeFileSync(join(dir, 'model.safetensors'), bytes);
  writeFileSync(join(dir, 'config.json'), readFileSync(join(gpt2, 'config.json')));
  return { dir, name, index };
}

test('a NaN in an embedding row is refused at load with the tensor and the index', () => {
  const { dir, name, index } = modelWithNaN(3, 2);
  const r = strata('run', '--model', dir, '--token-ids', '1,2');
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `strata run: ${dir}/model.safetensors: tensor "${name}": non-finite value NaN at flat index ${index}\n`);
});

test('an intervention that makes the logits non-finite is an error naming it; the causal mask is left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  const write = (name, list) => { const f = join(dir, name); writeFileSync(f, JSON.stringify(list)); return f; };
  const { d_model: dModel } = strata('info', '--model', gpt2, '--json').json;
  const ids = '5,6,7';
  // Scaling the attention scores by 0 or -1 used to turn the masked -inf into NaN (or +Inf): exit 0, NaN probabilities.
  for (const factor of [0, -1]) {
    const file = write(`scale-${factor}.json`, [{ hook: 'blocks.0.attn.hook_attn_scores', op: 'scale', factor }]);
    const r = strata('run', '--model', gpt2, '--token-ids', ids, '--json', '--logits', '--intervene', file);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.json.logits.every(Number.isFinite), `factor ${factor}: finite logits`);
    assert.ok(r.json.top_k.every((t) => Number.isFinite(t.probability)));
  }
  const patch = Array.from({ length: 3 * dModel }, (_, i) => (i === 4 ? null : 0.1));  // null reads as -inf
  const cases = [
    [[{ hook: 'blocks.0.hook_mlp_out', op: 'zero' }, { hook: 'hook_embed', op: 'patch', value: { shape: [3, dModel], data: patch } }],
      'non-finite logits (NaN at position 0, token 0) caused by intervention [1] (patch on hook_embed)'],
    [[{ hook: 'blocks.0.attn.hook_attn_scores', op: 'scale', factor: 1e300 }],
      '[0]: factor: expected a number within float range, found 1e+300'],
    [[{ hook: 'hook_embed', op: 'patch', value: { shape: [3, dModel], data: patch.map((x) => (x === null ? 1e39 : x)) } }],
      '[0]: value: data: expected numbers within float range, found 1e+39'],
    [[{ hook: 'blocks.0.hook_resid_mid', op: 'scale', factor: 3e38 }],
      'non-finite logits (NaN at position 0, token 0) caused by intervention [0] (scale on blocks.0.hook_resid_mid by 3e+38)'],
  ];
  for (const [list, message] of cases) {
    const file = write('iv.json', list);
    const r = strata('run', '--model', gpt2, '--token-ids', ids, '--intervene', file);
    assert.equal(r.status, 2, r.stderr);
    const expected = message.startsWith('[') ? `strata run: ${file}: ${message}\n` : `strata run: ${message}\n`;
    assert.equal(r.stderr, expected);
  }
});

// Runs strata as an unprivileged user when this process is root (root reads any file whatever its mode).
function strataAsUser(...args) {
  if (process.getuid() !== 0) return strata(...args);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', strataBin, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('files that cannot be read are refused before reading, naming the file and the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-files-'));
  chmodSync(dir, 0o755);
  const model = (name, tokenizer) => {
    const m = join(dir, name);
    mkdirSync(m);
    for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(shipped, f), join(m, f));
    tokenizer(join(m, 'tokenizer.json'));
    return m;
  };
  const locked = model('locked', (p) => { copyFileSync(join(shipped, 'tokenizer.json'), p); chmodSync(p, 0o000); });
  const folder = model('folder', (p) => mkdirSync(p));
  const fifoModel = model('fifo', (p) => spawnSync('mkfifo', [p]));
  const fifo = join(dir, 'suite.fifo');
  spawnSync('mkfifo', [fifo]);
  const out = join(dir, 'report.json');
  const cases = [
    [['run', '--model', folder, '--prompt', 'x'], `strata run: ${folder}/tokenizer.json: is a directory`],
    [['run', '--model', fifoModel, '--prompt', 'x'], `strata run: ${fifoModel}/tokenizer.json: not a regular file`],
    [['run', '--model', dir, '--token-ids', '1'], `strata run: ${dir}/config.json: no such file`],
    [['run', '--model', shipped, '--token-ids', '1', '--intervene', dir], `strata run: ${dir}: is a directory`],
    [['run', '--model', shipped, '--token-ids', '1', '--intervene', '/dev/zero'], 'strata run: /dev/zero: not a regular file'],
    [['eval', '--model', shipped, '--suite', fifo], `strata eval: ${fifo}: not a regular file`],
    [['tokenize', '--tokenizer', fifo, '--text', 'x'], `strata tokenize: ${fifo}: not a regular file`],
    [['analyze', '--model', shipped, '--suite', dir, '--analysis', 'neurons', '--out', out], `strata analyze: ${dir}: is a directory`],
    [['analyze', '--model', shipped, '--analysis', 'head-scores', '--settings', fifo, '--out', out],
      `strata analyze: ${fifo}: not a regular file`],
    [['analyze', '--model', shipped, '--analysis', 'head-scores', '--settings', '/dev/null', '--out', out],
      'strata analyze: /dev/null: not a regular file'],
    [['analyze', '--model', shipped, '--analysis', 'head-scores', '--out', dir], `strata analyze: ${dir}: is a directory`],
  ];
  for (const [args, message] of cases) {
    const r = strata(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `${message}\n`, args.join(' '));
  }
  // Permission: checked by the kernel, so the run drops root's privileges to see it.
  const denied = strataAsUser('run', '--model', locked, '--prompt', 'x');
  assert.equal(denied.status, 2, denied.stderr);
  assert.equal(denied.stderr, `strata run: ${locked}/tokenizer.json: permission denied\n`);
});

test('every command-line error is one line, usage errors included', () => {
  const cases = [
    [['frobnicate'], 'strata: unknown command "frobnicate"; see strata --help'],
    [[], 'strata: no command given; see strata --help'],
    [['run', '--model', gpt2, 'a\nb'], 'strata run: unexpected argument "a\\nb"'],
  ];
  for (const [args, message] of cases) {
    const r = strata(...args);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `${message}\n`, args.join(' '));
  }
  const help = strata('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /strata run --model DIR/);
});

test('eval and analyze errors name the item and the suite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-suite-'));
  const suite = JSON.parse(readFileSync(join(shipped, 'suite.json'), 'utf8'));
  const first = suite.items[0];
  const long = { ...suite, items: [{ ...first, id: 'too-long', prompt: `${first.prompt} `.repeat(3), corrupt_prompt: `${first.corrupt_prompt} `.repeat(3) }] };
  const twoTokens = { ...suite, items: [{ ...first, id: 'two-tokens', answer: 'quito rome' }] };
  const write = (name, value) => { const f = join(dir, name); writeFileSync(f, JSON.stringify(value)); return f; };
  const longFile = write('long.json', long);
  const twoFile = write('two.json', twoTokens);
  const { n_ctx: nCtx } = strata('info', '--model', shipped, '--json').json;
  const out = join(dir, 'r.json');
  const cases = [
    [['eval', '--model', shipped, '--suite', longFile], new RegExp(`^strata eval: ${longFile}: suite item "too-long": run: prompt length: expected at most ${nCtx} tokens, found \\d+$`)],
    [['eval', '--model', shipped, '--suite', twoFile], `strata eval: ${twoFile}: suite item "two-tokens": answer: expected a single token, found 2 tokens`],
    [['analyze', '--model', shipped, '--suite', longFile, '--analysis', 'logit-lens', '--out', out],
      new RegExp(`^strata analyze: ${longFile}: suite item "too-long": prompt: expected at most ${nCtx} tokens \\(the model's limit\\), found \\d+$`)],
    [['analyze', '--model', shipped, '--suite', twoFile, '--analysis', 'ablation', '--out', out],
      `strata analyze: ${twoFile}: suite item "two-tokens": answer: expected a single token, found 2 tokens`],
  ];
  for (const [args, message] of cases) {
    const r = strata(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    if (typeof message === 'string') assert.equal(r.stderr, `${message}\n`);
    else assert.match(r.stderr.trimEnd(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('eval counts, for conflict items, answers that follow the prompt and answers that follow memory', () => {
  // Conflict items from the shipped recall items: the first clause now states
  // another city for the asked person (the name at the item's subject_positions).
  const suite = JSON.parse(readFileSync(join(shipped, 'suite.json'), 'utf8'));
  const cities = [...new Set(suite.items.filter((it) => it.kind === 'city').map((it) => it.answer))];
  const items = suite.items.filter((it) => it.kind === 'city' && it.split === 'trained').slice(0, 40).map((it) => {
    const words = it.prompt.split(' ');
    const stated = cities.find((c) => c !== it.answer && !words.includes(c));
    const prompt = [...it.meta.subject_positions.map((i) => words[i]), stated, ...words.slice(3)];
    const corrupt = [...prompt.slice(0, 2), it.answer, ...prompt.slice(3)];
    return { id: `conflict-${it.id}`, kind: 'conflict', family: 'conflict', split: 'trained', prompt: prompt.join(' '),
      answer: stated, corrupt_prompt: corrupt.join(' '), corrupt_answer: it.answer, meta: { memory_answer: it.answer } };
  });
  const file = join(mkdtempSync(join(tmpdir(), 'strata-conflict-')), 'suite.json');
  writeFileSync(file, JSON.stringify({ format: 'strata-suite', version: 1, items }));
  const r = strata('eval', '--model', shipped, '--suite', file, '--json', '--items');
  assert.equal(r.status, 0, r.stderr);
  const memory = items.filter((it, i) => r.json.items[i].predicted === it.meta.memory_answer).length;
  const context = items.filter((it, i) => r.json.items[i].predicted === it.answer).length;
  assert.deepEqual(r.json.items.map((row) => row.memory), items.map((it, i) => r.json.items[i].predicted === it.meta.memory_answer));
  const split = r.json.by_kind.conflict.splits.trained;
  assert.deepEqual([split.n, split.correct, split.memory], [40, context, memory]);
  assert.equal(split.memory_rate, memory / 40);
  assert.ok(memory + context > 0, 'the model gives one of the two answers to some items');
  const text = strata('eval', '--model', shipped, '--suite', file);
  assert.equal(text.stdout, `conflict (conflict) trained: the prompt's answer ${context}/40 = ${(100 * context / 40).toFixed(1)}%, `
    + `the memorised answer ${memory}/40 = ${(100 * memory / 40).toFixed(1)}%\n`);
  const twoTokens = { format: 'strata-suite', version: 1, items: [{ ...items[0], meta: { memory_answer: 'rome oslo' } }] };
  writeFileSync(file, JSON.stringify(twoTokens));
  assert.equal(strata('eval', '--model', shipped, '--suite', file).stderr,
    `strata eval: ${file}: suite item "${items[0].id}": meta: memory_answer: expected a single token, found 2 tokens\n`);
});

test('probes over no test items report null with the reason, never 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-probes-'));
  const settings = join(dir, 'settings.json');
  writeFileSync(settings, JSON.stringify({ probes: { items_per_kind: 1, iterations: 5 } }));
  const out = join(dir, 'report.json');
  const r = strata('analyze', '--model', shipped, '--suite', join(shipped, 'suite.json'), '--analysis', 'probes',
    '--settings', settings, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const probes = JSON.parse(readFileSync(out, 'utf8')).results.probes;
  assert.equal(probes.test_items, 0);  // one item per kind: each goes to training
  for (const task of ['family', 'answer']) {
    assert.equal(probes[task].majority_accuracy, null);
    assert.equal(probes[task].majority_accuracy_reason, 'no test items');
    for (const model of ['trained', 'random']) {
      for (const p of probes[task][model]) {
        for (const key of ['train_accuracy', 'test_accuracy', 'control_accuracy', 'selectivity']) assert.equal(p[key], null, `${task} ${model} ${key}`);
        assert.equal(p.reason, 'no test items');
      }
    }
    for (const p of probes[task].trained) {
      assert.equal(p.selectivity_vs_random, null);
      assert.equal(p.selectivity_vs_random_reason, 'no test accuracy on one of the models');
    }
  }
  // The report passes the in-depth schema; a 0 in place of a null with its reason does not.
  assert.equal(strata('check-report', '--report', out).status, 0);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  delete report.results.probes.family.trained[0].reason;
  writeFileSync(out, JSON.stringify(report));
  const bad = strata('check-report', '--report', out);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `strata check-report: ${out}: results: probes: family: trained[0]: reason: missing\n`);
});
