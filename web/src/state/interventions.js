// Ablations in the URL, compactly: "h1.2" zeroes head 2 of layer 1 (at hook_z),
// "m0" zeroes the MLP of layer 0 (at hook_mlp_out), "L3" zeroes all of layer 3
// (every head and the MLP). Entries are joined by commas; at most MAX_ABLATIONS.
//
// toEngine() turns them into the engine's intervention list. What a unit
// overwrites is the engine's to say (info.ablation_units, from ablation.h: the
// sites a sweep's unit of the same name overwrites); the page never decides it.

export const MAX_ABLATIONS = 64;

const ENTRY = /^(?:h(\d{1,3})\.(\d{1,3})|m(\d{1,3})|L(\d{1,3}))$/;

export function parseInterventions(text) {
  if (text === '') return [];
  const parts = text.split(',');
  if (parts.length > MAX_ABLATIONS) throw new Error(`more than ${MAX_ABLATIONS} ablations`);
  const out = [];
  for (const part of parts) {
    const m = ENTRY.exec(part);
    if (!m) throw new Error(`"${part.slice(0, 20)}" is not an ablation (h<layer>.<head>, m<layer> or L<layer>)`);
    const entry = m[1] !== undefined ? { kind: 'head', layer: +m[1], head: +m[2] }
      : m[3] !== undefined ? { kind: 'mlp', layer: +m[3] } : { kind: 'layer', layer: +m[4] };
    if (!out.some((e) => sameAblation(e, entry))) out.push(entry);
  }
  return out;
}

export function formatInterventions(list) {
  return list.map(formatAblation).join(',');
}

export function formatAblation(a) {
  if (a.kind === 'head') return `h${a.layer}.${a.head}`;
  return a.kind === 'mlp' ? `m${a.layer}` : `L${a.layer}`;
}

export function describeAblation(a) {
  if (a.kind === 'head') return `head ${a.head} of layer ${a.layer}`;
  return a.kind === 'mlp' ? `the MLP of layer ${a.layer}` : `all of layer ${a.layer}`;
}

export function sameAblation(a, b) {
  return a.kind === b.kind && a.layer === b.layer && (a.kind !== 'head' || a.head === b.head);
}

export function toggleAblation(list, entry) {
  return list.some((e) => sameAblation(e, entry)) ? list.filter((e) => !sameAblation(e, entry)) : [...list, entry];
}

// Ablations that fit the model (layer and head in range); the rest are reported.
export function fitAblations(list, nLayers, nHeads) {
  const kept = [];
  const dropped = [];
  for (const a of list) {
    const ok = a.layer < nLayers && (a.kind !== 'head' || a.head < nHeads);
    (ok ? kept : dropped).push(a);
  }
  return { kept, dropped };
}

// The sites the engine lists for an ablation: [{hook, head?}].
export function ablationSites(a, units) {
  const unit = units.find((u) => u.level === a.kind && u.layer === a.layer && (a.kind !== 'head' || u.head === a.head));
  if (!unit) throw new Error(`${describeAblation(a)} is not in this model`);
  return unit.sites;
}

export function toEngine(list, units) {
  return list.flatMap((a) => ablationSites(a, units).map((site) => ({ ...site, op: 'zero' })));
}
