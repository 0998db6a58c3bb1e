// The page's shareable state: one table of every field the URL hash may carry,
// with its type, range and length cap. Nothing outside this table is read from a URL.
//
// Each field: key (short name in the hash), type, default, and a parse(string) that
// returns the value or throws a message; format(value) writes it back. label names
// the field in notices; plural marks a label that takes "were".

import { formatInterventions, parseInterventions } from './interventions.js';
import { formatFileHashes, parseFileHashes, parseHubRef } from '../models/hub.js';
import { VIEWS as VIEW_MODULES } from '../views/index.js';

// The views a link may name: the view modules' own ids, in tab order.
export const VIEWS = VIEW_MODULES.map((view) => view.id);
export const BACKENDS = ['wasm', 'ort'];

function int(min, max) {
  return (text) => {
    if (!/^-?\d{1,10}$/.test(text)) throw new Error(`expected a whole number, found "${clip(text)}"`);
    const n = Number(text);
    if (n < min || n > max) throw new Error(`expected ${min} to ${max}, found ${clip(text)}`);
    return n;
  };
}

function pattern(regex, what, maxLength) {
  return (text) => {
    if (text.length > maxLength) throw new Error(`longer than ${maxLength} characters`);
    if (!regex.test(text)) throw new Error(`expected ${what}, found "${clip(text)}"`);
    return text;
  };
}

function freeText(maxLength) {
  return (text) => {
    if (text.length > maxLength) throw new Error(`longer than ${maxLength} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new Error('contains control characters');
    return text;
  };
}

function oneOf(values) {
  return (text) => {
    if (!values.includes(text)) throw new Error(`expected one of ${values.join(', ')}, found "${clip(text)}"`);
    return text;
  };
}

export function clip(text, n = 40) {
  const s = String(text);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export const FIELDS = [
  { name: 'model', key: 'm', label: 'model', parse: pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a model id (letters, digits, . _ -)', 80) },
  { name: 'prompt', key: 'p', label: 'prompt', parse: freeText(2000) },
  { name: 'item', key: 'i', label: 'suite item', parse: pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a suite item id', 64) },
  { name: 'view', key: 'v', label: 'view', parse: oneOf(VIEWS), default: 'model' },
  { name: 'layer', key: 'l', label: 'layer', parse: int(0, 255), default: 0 },
  { name: 'head', key: 'h', label: 'head', parse: int(0, 255), default: 0 },
  { name: 'interventions', key: 'x', label: 'ablations', plural: true, parse: parseInterventions, format: formatInterventions, default: [] },
  { name: 'seed', key: 's', label: 'seed', parse: int(0, 2147483647), default: 0 },
  { name: 'step', key: 'k', label: 'lesson step', parse: int(0, 999), default: 0 },
  { name: 'lesson', key: 'n', label: 'lesson', parse: pattern(/^[a-z][a-z0-9-]*$/, 'a lesson id', 40) },
  { name: 'hub', key: 'hf', label: 'Hub model', parse: (t) => { parseHubRef(t); return t; } },
  { name: 'hubFiles', key: 'hs', label: 'Hub file hashes', plural: true, parse: parseFileHashes, format: formatFileHashes },
  { name: 'backend', key: 'b', label: 'backend', parse: oneOf(BACKENDS), default: 'wasm' },
  // A training checkpoint of a shipped model with a timeline, by its step; none: the final weights.
  { name: 'checkpoint', key: 'ck', label: 'training checkpoint', parse: int(1, 1_000_000_000) },
  // "all": the analyses keep the items the model answers wrong (a built suite marks them).
  { name: 'answered', key: 'aw', label: 'items answered wrong', parse: oneOf(['all']) },
];

export const MAX_HASH_LENGTH = 8192;

export function defaults() {
  const state = {};
  for (const f of FIELDS) state[f.name] = structuredClone(f.default ?? null);
  return state;
}
