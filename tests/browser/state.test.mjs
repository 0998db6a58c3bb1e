// The URL state schema on its own (no browser): round trips, field-by-field
// rejection, caps, and the ablation list's compact form and engine form.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HookTable } from '../../web/src/engine/hooks.js';
import { masks } from '../../web/src/engine/ort-backend.js';
import { parseInterventions, toEngine } from '../../web/src/state/interventions.js';
import { MAX_HASH_LENGTH } from '../../web/src/state/schema.js';
import { formatHash, parseHash } from '../../web/src/state/url-state.js';

test('a state survives formatting and parsing unchanged', () => {
  const { state } = parseHash('');
  Object.assign(state, { model: 'tiny-gpt2-world2', prompt: 'a b, c & d = e ? #x', view: 'ablation', layer: 3, head: 1, seed: 7, step: 2,
    interventions: [{ kind: 'head', layer: 1, head: 2 }, { kind: 'mlp', layer: 0 }, { kind: 'layer', layer: 3 }] });
  const hash = formatHash(state);
  assert.match(hash, /x=h1\.2,m0,L3/);
  const again = parseHash(hash);
  assert.deepEqual(again.notices, []);
  assert.deepEqual(again.state, state);
});

test('defaults are left out of the hash', () => {
  assert.equal(formatHash(parseHash('').state), '#');
});

test('each garbled field is dropped with a notice naming it; the others are kept', () => {
  const { state, notices } = parseHash('#m=ok-model&l=1e3&h=2&v=nope&x=h1.2,zz&s=-1&k=12.5&i=%3Cb%3E&p=hi&what=1');
  assert.equal(state.model, 'ok-model');
  assert.equal(state.head, 2);
  assert.equal(state.prompt, 'hi');
  assert.equal(state.layer, 0);
  assert.equal(state.view, 'model');
  assert.deepEqual(state.interventions, []);
  for (const label of ['layer', 'view', 'ablations', 'seed', 'lesson step', 'suite item']) {
    const verb = label === 'ablations' ? 'were' : 'was';
    assert.ok(notices.some((n) => n.includes(`link's ${label} ${verb} ignored`)), `no notice for ${label}: ${notices.join(' | ')}`);
  }
  assert.ok(notices.includes('The link\'s ablations were ignored: "zz" is not an ablation (h<layer>.<head>, m<layer> or L<layer>).'),
    notices.join(' | '));
  assert.ok(notices.some((n) => n.includes('what')), 'unknown key not reported');
});

test('caps: long prompts, long hashes, many ablations, control characters, repeated keys', () => {
  assert.equal(parseHash(`#p=${'a'.repeat(2001)}`).state.prompt, null);
  assert.equal(parseHash(`#p=${'a'.repeat(2000)}`).state.prompt.length, 2000);
  assert.match(parseHash(`#p=${'a'.repeat(MAX_HASH_LENGTH + 1)}`).notices[0], /longer than/);
  assert.deepEqual(parseHash(`#x=${Array.from({ length: 65 }, (_, i) => `m${i}`).join(',')}`).state.interventions, []);
  assert.equal(parseHash('#p=a%00b').state.prompt, null);
  const twice = parseHash('#l=1&l=2');
  assert.equal(twice.state.layer, 1);
  assert.match(twice.notices[0], /more than once/);
  assert.equal(parseHash('#l=99999999999').state.layer, 0);
  assert.equal(parseHash('#__proto__=1&constructor=2').state.constructor, Object);
});

test('ablations become the engine\'s interventions through the sites the engine lists', () => {
  // info.ablation_units as the engine writes it for 2 layers of 2 heads (ablation.h).
  const z = (l) => ({ hook: `blocks.${l}.attn.hook_z` });
  const mlp = (l) => ({ hook: `blocks.${l}.hook_mlp_out` });
  const units = [0, 1].flatMap((l) => [
    { level: 'layer', layer: l, label: `L${l} block`, sites: [z(l), mlp(l)] },
    { level: 'mlp', layer: l, label: `L${l} mlp`, sites: [mlp(l)] },
    ...[0, 1].map((h) => ({ level: 'head', layer: l, head: h, label: `L${l}H${h}`, sites: [{ ...z(l), head: h }] })),
  ]);
  const sites = toEngine(parseInterventions('h1.0,m0,L1,h1.0'), units);
  assert.deepEqual(sites, [
    { hook: 'blocks.1.attn.hook_z', op: 'zero', head: 0 },
    { hook: 'blocks.0.hook_mlp_out', op: 'zero' },
    { hook: 'blocks.1.attn.hook_z', op: 'zero' },
    { hook: 'blocks.1.hook_mlp_out', op: 'zero' },
  ]);
  assert.throws(() => toEngine(parseInterventions('m5'), units), /the MLP of layer 5 is not in this model/);
  // The same sites as ONNX masks.
  const hooks = new HookTable(['hook_embed', ...units.filter((u) => u.level === 'layer').flatMap((u) => u.sites.map((s) => s.hook))]);
  const { headMask, mlpMask } = masks(sites, { nLayers: 2, nHeads: 2, hooks });
  assert.deepEqual([...headMask], [1, 1, 0, 0]);
  assert.deepEqual([...mlpMask], [0, 0]);
  assert.throws(() => masks([{ hook: 'blocks.0.mlp.hook_post', op: 'zero', neurons: [3] }], { nLayers: 2, nHeads: 2, hooks }), /cannot ablate blocks.0.mlp.hook_post neurons/);
});
