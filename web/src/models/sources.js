// Where models come from: the bundled manifest (models/manifest.json) or files a
// user drops in (a Hugging Face folder: config.json, model.safetensors and
// optionally tokenizer.json and suite.json). Both give the same shape:
//   {config: string, weights: Uint8Array, tokenizer: string|null, suiteText: string|null, suite: object|null}
// Nothing here runs the model; the engine validates the files and names errors.

export const MAX_WEIGHTS_BYTES = 1.5 * 2 ** 30;  // 1.5 GiB
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export async function fetchManifest(base) {
  const response = await fetch(new URL('models/manifest.json', base));
  if (!response.ok) throw new Error(`models/manifest.json: the server answered ${response.status}`);
  const manifest = await response.json();
  if (!manifest || !Array.isArray(manifest.models)) throw new Error('models/manifest.json: no "models" list');
  return manifest.models.filter((m) => m && typeof m.id === 'string' && ID.test(m.id) && typeof m.path === 'string' && /^[A-Za-z0-9._-]+\/$/.test(m.path));
}

async function fetchFile(url, label, kind) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${label}: the server answered ${response.status}`);
  return kind === 'bytes' ? new Uint8Array(await response.arrayBuffer()) : response.text();
}

// checkpoint: a training checkpoint of the model's timeline (fetchTimeline), whose
// config.json and weights replace the final ones; the tokenizer and suite are the model's.
export async function fetchShippedModel(base, entry, checkpoint = null) {
  const dir = new URL(`models/${entry.path}`, base);
  const weightsDir = checkpoint ? new URL(checkpoint.path, dir) : dir;
  const label = checkpoint ? `${entry.id}/${checkpoint.path}` : `${entry.id}/`;
  const [config, weights, tokenizer, suiteText] = await Promise.all([
    fetchFile(new URL('config.json', weightsDir), `${label}config.json`, 'text'),
    fetchFile(new URL('model.safetensors', weightsDir), `${label}model.safetensors`, 'bytes'),
    fetchFile(new URL('tokenizer.json', dir), `${entry.id}/tokenizer.json`, 'text').catch(() => null),
    typeof entry.suite === 'string' && /^[A-Za-z0-9._-]+\.json$/.test(entry.suite)
      ? fetchFile(new URL(entry.suite, dir), `${entry.id}/${entry.suite}`, 'text').catch(() => null) : null,
  ]);
  return { config, weights, tokenizer, suiteText, suite: parseSuite(suiteText, `${entry.id}/${entry.suite}`) };
}

// A shipped model's training timeline (models/recipe/timeline.py writes it): its
// checkpoints by step, each with its accuracy per kind and its circuits'
// verdict and effects. Anything malformed is refused with the field named.
export async function fetchTimeline(base, entry) {
  const label = `${entry.id}/${entry.timeline}`;
  if (!/^[A-Za-z0-9._-]+\.json$/.test(entry.timeline)) throw new Error(`models/manifest.json: ${entry.id}: "timeline" is not a file name`);
  let raw;
  try {
    raw = JSON.parse(await fetchFile(new URL(`models/${entry.path}${entry.timeline}`, base), label, 'text'));
  } catch (error) {
    throw error instanceof SyntaxError ? new Error(`${label}: not valid JSON`) : error;
  }
  return parseTimeline(raw, label);
}

export function parseTimeline(raw, label) {
  const fail = (what) => { throw new Error(`${label}: ${what}`); };
  if (raw?.format !== 'strata-timeline' || raw.version !== 1) fail('not a strata-timeline, version 1');
  if (!Array.isArray(raw.checkpoints) || !raw.checkpoints.length || raw.checkpoints.length > 64) fail('"checkpoints" is not a list of 1 to 64');
  const fraction = (x, where) => (Number.isFinite(x) && x >= 0 && x <= 1 ? x : fail(`${where} is not a number in [0, 1]`));
  const real = (x, where) => (Number.isFinite(x) ? x : fail(`${where} is not a number`));
  const checkpoints = raw.checkpoints.map((c, i) => {
    const where = `checkpoints[${i}]`;
    if (!Number.isInteger(c?.step) || c.step < 1) fail(`${where}.step is not a positive whole number`);
    if (typeof c.path !== 'string' || !/^checkpoints\/[A-Za-z0-9._-]+\/$/.test(c.path)) fail(`${where}.path is not a folder under checkpoints/`);
    if (!c.accuracy || typeof c.accuracy !== 'object') fail(`${where}.accuracy is missing`);
    const accuracy = Object.fromEntries(Object.entries(c.accuracy).slice(0, 32).map(([kind, a]) => [kind.slice(0, 40), {
      split: String(a?.split ?? '').slice(0, 20), accuracy: fraction(a?.accuracy, `${where}.accuracy.${kind}`),
      ...(a?.memory === undefined ? {} : { memory: fraction(a.memory / a.n, `${where}.accuracy.${kind}.memory`) }),
    }]));
    let circuits = null;
    if (c.circuits) {
      const circuit = (f) => ({ effect: real(c.circuits[f]?.effect, `${where}.circuits.${f}.effect`),
        other: real(c.circuits[f]?.other_effect, `${where}.circuits.${f}.other_effect`),
        components: Array.isArray(c.circuits[f]?.components) ? c.circuits[f].components.slice(0, 64).map((x) => String(x).slice(0, 20)) : [] });
      circuits = { separated: c.circuits.separated === true, recall: circuit('recall'), reasoning: circuit('reasoning') };
    }
    return { step: c.step, path: c.path, accuracy, circuits, circuitsError: c.circuits ? null : String(c.circuits_error ?? 'no circuits').slice(0, 200) };
  });
  for (let i = 1; i < checkpoints.length; i++) if (checkpoints[i].step <= checkpoints[i - 1].step) fail('the checkpoints are not in increasing step order');
  return { checkpoints };
}

// The ONNX export of a shipped model (only when the ONNX Runtime backend is chosen).
export async function fetchOnnx(base, entry) {
  if (!/^[A-Za-z0-9._-]+\.onnx$/.test(entry.onnx)) throw new Error(`models/manifest.json: ${entry.id}: "onnx" is not a file name`);
  return fetchFile(new URL(`models/${entry.path}${entry.onnx}`, base), `${entry.id}/${entry.onnx}`, 'bytes');
}

// A shipped model's card (card.md), shown as text in the Model & prompt view.
export async function fetchCard(base, entry) {
  if (!/^[A-Za-z0-9._-]+\.md$/.test(entry.card ?? '')) throw new Error(`models/manifest.json: ${entry.id} has no model card`);
  return fetchFile(new URL(`models/${entry.path}${entry.card}`, base), `${entry.id}/${entry.card}`, 'text');
}

// files: a FileList or array of File (from an <input type=file multiple> or a drop).
export async function readDroppedFiles(files) {
  const byName = new Map();
  for (const f of files) byName.set(baseName(f), f);
  const missing = ['config.json', 'model.safetensors'].filter((n) => !byName.has(n));
  if (missing.length) {
    const found = [...byName.keys()].slice(0, 6).join(', ') || 'nothing';
    throw new Error(`The dropped files have no ${missing.join(' and no ')} (found: ${found}). Drop a Hugging Face model folder.`);
  }
  const weightsFile = byName.get('model.safetensors');
  if (weightsFile.size > MAX_WEIGHTS_BYTES) {
    throw new Error(`model.safetensors is ${(weightsFile.size / 2 ** 30).toFixed(2)} GiB (${weightsFile.size} bytes); `
      + `this page can open models up to ${MAX_WEIGHTS_BYTES / 2 ** 30} GiB (${MAX_WEIGHTS_BYTES} bytes).`);
  }
  const config = await byName.get('config.json').text();
  const weights = new Uint8Array(await weightsFile.arrayBuffer());
  const tokenizer = byName.has('tokenizer.json') ? await byName.get('tokenizer.json').text() : null;
  const suiteText = byName.has('suite.json') ? await byName.get('suite.json').text() : null;
  return { config, weights, tokenizer, suiteText, suite: parseSuite(suiteText, 'suite.json') };
}

function baseName(file) {
  const path = file.webkitRelativePath || file.name;
  return path.split('/').pop();
}

// A suite is optional: a broken one is reported and left out, the model still opens.
export function parseSuite(text, label) {
  if (text === null || text === undefined) return null;
  let suite;
  try {
    suite = JSON.parse(text);
  } catch {
    return { error: `${label}: not valid JSON` };
  }
  if (!suite || !Array.isArray(suite.items)) return { error: `${label}: no "items" list` };
  // The items the model answers wrong (io/suite.h "answered_wrong"); the engine checks the marks are this model's.
  const wrong = new Set(Array.isArray(suite.answered_wrong?.items) ? suite.answered_wrong.items.filter((id) => typeof id === 'string') : []);
  const items = [];
  for (const it of suite.items) {
    if (!it || typeof it.id !== 'string' || !ID.test(it.id) || typeof it.prompt !== 'string' || it.prompt.length > 2000) continue;
    items.push({
      id: it.id,
      kind: typeof it.kind === 'string' ? it.kind.slice(0, 40) : 'other',
      family: typeof it.family === 'string' ? it.family.slice(0, 40) : '',
      split: typeof it.split === 'string' ? it.split.slice(0, 40) : '',
      prompt: it.prompt,
      answer: typeof it.answer === 'string' ? it.answer.slice(0, 200) : null,
      corrupt: typeof it.corrupt_prompt === 'string' && it.corrupt_prompt.length <= 2000 ? it.corrupt_prompt : null,
      corruptAnswer: typeof it.corrupt_answer === 'string' ? it.corrupt_answer.slice(0, 200) : null,
      answeredWrong: wrong.has(it.id),
    });
  }
  return { items, marked: Boolean(suite.answered_wrong) };
}
