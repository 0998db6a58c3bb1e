// Reads and writes the state in the URL hash, field by field against the schema:
// unknown keys are ignored, a garbled field is dropped with a notice naming it, and
// the other fields are kept.
import { FIELDS, MAX_HASH_LENGTH, clip, defaults } from './schema.js';

// -> {state, notices: [string]}
export function parseHash(hash) {
  const state = defaults();
  const notices = [];
  let text = String(hash ?? '').replace(/^#/, '');
  if (text.length > MAX_HASH_LENGTH) {
    notices.push(`The link is longer than ${MAX_HASH_LENGTH} characters; it was ignored.`);
    return { state, notices };
  }
  let params;
  try {
    params = new URLSearchParams(text);
  } catch {
    notices.push('The link could not be read; it was ignored.');
    return { state, notices };
  }
  const seen = new Set();
  const unknown = [];
  for (const [key, value] of params) {
    const field = FIELDS.find((f) => f.key === key);
    if (!field) {
      unknown.push(key);
      continue;
    }
    if (seen.has(key)) {
      notices.push(`The link gives the ${field.label} more than once; the first one is used.`);
      continue;
    }
    seen.add(key);
    try {
      state[field.name] = field.parse(value);
    } catch (error) {
      notices.push(`The link's ${field.label} ${field.plural ? 'were' : 'was'} ignored: ${error.message}.`);
    }
  }
  if (unknown.length) notices.push(`The link has fields this page does not know; they were ignored: ${unknown.slice(0, 5).map((k) => clip(k, 20)).join(', ')}${unknown.length > 5 ? ', …' : ''}.`);
  return { state, notices };
}

export function formatHash(state) {
  const parts = [];
  for (const f of FIELDS) {
    const value = state[f.name];
    if (value === null || value === undefined) continue;
    const text = f.format ? f.format(value) : String(value);
    const fallback = f.default === undefined ? null : (f.format ? f.format(f.default) : String(f.default));
    if (text === '' || text === fallback) continue;
    parts.push(`${f.key}=${encodeURIComponent(text).replace(/%2C/g, ',')}`);
  }
  return `#${parts.join('&')}`;
}
