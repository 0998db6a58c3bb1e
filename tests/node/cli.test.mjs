// The command line: JSON output, and exit status 2 with one line on stderr
// for every kind of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    [['run', '--model', '/nonexistent', '--token-ids', '1'], /\/nonexistent\/config.json: cannot open/],
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
    if (args[0] !== 'frobnicate') assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});

test('text that is not UTF-8 is refused naming the option that gave it, not the tokenizer', () => {
  // Node passes arguments as UTF-8 strings, so the shell makes the byte 0xFF.
  const shipped = join(root, 'models/tiny-gpt2-world');
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
