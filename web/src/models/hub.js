// Opening a model from the Hugging Face Hub, only when the reader asks for it.
// The files come from https://huggingface.co/<id>/resolve/<revision>/<file> (the
// Hub redirects large files to its CDN hosts, which the page's CSP lists and
// nothing else). This is the only request the page makes to another origin.
//
// Every file is checked before it is used: its size against the page's limit
// (from Content-Length, before the body is read), its length against what the
// server announced (a cut download is refused), and its SHA-256 against the
// link's, when the link names one. A body that is refused is cancelled, so its
// connection closes at once. Downloaded files are kept in Cache Storage
// (cache "strata-hub-v1", keyed by the resolve URL), so a second visit opens
// them without the network (an optional file the repo lacks is kept as a 404).
//
// Sharded checkpoints (model.safetensors.index.json, {"weight_map": {tensor: shard}})
// are merged here into one safetensors buffer: the header lists every tensor with
// its offsets recomputed over the concatenated data, in the order of the shards and
// of each shard's own header, padded with spaces to 8 bytes as the format allows.
import { MAX_WEIGHTS_BYTES } from './sources.js';

export const HUB_ORIGIN = 'https://huggingface.co';
const CACHE = 'strata-hub-v1';
const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// "owner/name@revision" -> {repo, revision}; the revision defaults to main.
export function parseHubRef(text) {
  const [repo, revision = 'main', extra] = String(text).trim().split('@');
  if (extra !== undefined || !REPO.test(repo) || repo.includes('..')) throw new Error(`"${String(text).slice(0, 60)}" is not a Hugging Face model id (owner/name, letters, digits, . _ -)`);
  if (!REVISION.test(revision) || revision.includes('..')) throw new Error(`"${revision.slice(0, 60)}" is not a revision (a branch, tag or commit)`);
  return { repo, revision };
}

export function hubFileUrl({ repo, revision }, file) {
  if (!FILE.test(file)) throw new Error(`"${file.slice(0, 60)}" is not a file name`);
  return `${HUB_ORIGIN}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const MB = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

// A progress line: bytes, rate and time left.
export function describeProgress({ file, received, total, seconds }) {
  const rate = seconds > 0 ? received / seconds : 0;
  const parts = [`${file}: ${MB(received)}${total ? ` of ${MB(total)}` : ''}`, `${MB(rate)}/s`];
  if (total && rate > 0) parts.push(`${Math.max(0, Math.ceil((total - received) / rate))} s left`);
  return parts.join(' · ');
}

class HubFetcher {
  constructor(ref, expected, signal, onProgress) {
    Object.assign(this, { ref, expected: expected ?? {}, signal, onProgress, hashes: {} });
  }

  async file(name, { optional = false, limit = MAX_WEIGHTS_BYTES } = {}) {
    const url = hubFileUrl(this.ref, name);
    const cache = await caches.open(CACHE);
    const cached = await cache.match(url);
    if (cached?.status === 404 && optional) return null;  // known absent (kept, so offline visits skip it)
    if (cached?.ok) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      const hash = await sha256Hex(bytes);
      if (!this.expected[name] || this.expected[name] === hash) return this.keep(name, bytes, hash);
      await cache.delete(url);  // a stale copy of a branch: fetch again
    }
    let response;
    try {
      response = await fetch(url, { signal: this.signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
    } catch (error) {
      if (this.signal.aborted) throw error;
      throw new Error(`${name}: the Hub could not be reached (${error.message})`);
    }
    // A body this page will not read is cancelled, so the connection is let go of at once.
    const refuse = (message) => {
      response.body?.cancel().catch(() => {});
      return new Error(message);
    };
    if (response.status === 404 && optional) {
      response.body?.cancel().catch(() => {});
      await cache.put(url, new Response(null, { status: 404 }));
      return null;
    }
    if (response.status === 404) throw refuse(`${name}: not found on the Hub (${this.ref.repo}@${this.ref.revision}); check the model id and revision`);
    if (response.status === 401 || response.status === 403) throw refuse(`${name}: the Hub refused access (${response.status}); gated and private models cannot be opened here`);
    if (!response.ok) throw refuse(`${name}: the Hub answered ${response.status}`);
    const total = Number(response.headers.get('content-length')) || 0;
    if (total > limit) throw refuse(`${name} is ${MB(total)}; this page can open files up to ${MB(limit)}`);
    const bytes = await this.read(name, response, total, limit);
    const hash = await sha256Hex(bytes);
    if (this.expected[name] && this.expected[name] !== hash) {
      throw new Error(`${name}: SHA-256 ${hash.slice(0, 12)}… differs from the link's ${this.expected[name].slice(0, 12)}…; the file on the Hub is not the one the link was made with, so it was not opened`);
    }
    await cache.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    return this.keep(name, bytes, hash);
  }

  keep(name, bytes, hash) {
    this.hashes[name] = hash;
    return bytes;
  }

  async read(name, response, total, limit) {
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    const start = performance.now();
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (error) {
        if (this.signal.aborted) throw error;
        throw new Error(`${name}: the download was cut after ${received} of ${total || '?'} bytes`);
      }
      if (step.done) break;
      chunks.push(step.value);
      received += step.value.byteLength;
      if (received > limit) {
        reader.cancel().catch(() => {});
        throw new Error(`${name} is larger than ${MB(limit)}, this page's limit`);
      }
      this.onProgress({ file: name, received, total, seconds: (performance.now() - start) / 1000 });
    }
    if (total && received !== total) throw new Error(`${name}: the download was cut after ${received} of ${total} bytes`);
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
    return bytes;
  }
}

const text = (bytes) => new TextDecoder().decode(bytes);

// -> {config, weights, tokenizer, suiteText, suite, hashes: {file: sha256 hex}}
export async function fetchHubModel(ref, { expected, signal, onProgress }) {
  const hub = new HubFetcher(ref, expected, signal, onProgress);
  const config = text(await hub.file('config.json', { limit: 1e6 }));
  const tokenizer = await hub.file('tokenizer.json', { optional: true, limit: 64e6 });
  let weights = await hub.file('model.safetensors', { optional: true });
  if (!weights) {
    const indexBytes = await hub.file('model.safetensors.index.json', { optional: true, limit: 16e6 });
    if (!indexBytes) throw new Error(`${ref.repo}@${ref.revision} has neither model.safetensors nor model.safetensors.index.json`);
    const shards = shardFiles(text(indexBytes));
    const parts = [];
    for (const shard of shards) parts.push(await hub.file(shard));
    weights = mergeSafetensors(parts, shards);
  }
  return { config, weights, tokenizer: tokenizer && text(tokenizer), suiteText: null, suite: null, hashes: hub.hashes };
}

// The shard files an index names, in first-seen order.
export function shardFiles(indexText) {
  let index;
  try {
    index = JSON.parse(indexText);
  } catch {
    throw new Error('model.safetensors.index.json: not valid JSON');
  }
  const map = index?.weight_map;
  if (!map || typeof map !== 'object') throw new Error('model.safetensors.index.json: no "weight_map"');
  const files = [...new Set(Object.values(map))];
  if (!files.length || files.some((f) => typeof f !== 'string' || !FILE.test(f))) throw new Error('model.safetensors.index.json: "weight_map" names no valid shard files');
  const total = Number(index.metadata?.total_size) || 0;
  if (total > MAX_WEIGHTS_BYTES) throw new Error(`model.safetensors.index.json: the weights are ${MB(total)}; this page can open up to ${MB(MAX_WEIGHTS_BYTES)}`);
  return files;
}

function readHeader(bytes, label) {
  if (bytes.byteLength < 8) throw new Error(`${label}: shorter than a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.byteLength) throw new Error(`${label}: the header runs past the end of the file`);
  let header;
  try {
    header = JSON.parse(text(bytes.subarray(8, 8 + n)));
  } catch {
    throw new Error(`${label}: the header is not valid JSON`);
  }
  return { header, data: bytes.subarray(8 + n) };
}

// Shards -> one safetensors buffer with the same tensors, bytes unchanged.
export function mergeSafetensors(parts, labels) {
  const header = {};
  const pieces = [];
  let offset = 0;
  parts.forEach((bytes, i) => {
    const { header: h, data } = readHeader(bytes, labels[i]);
    for (const [name, t] of Object.entries(h)) {
      if (name === '__metadata__') continue;
      if (name in header) throw new Error(`${labels[i]}: tensor "${name}" is also in another shard`);
      const [b, e] = t.data_offsets ?? [];
      if (!(Number.isInteger(b) && Number.isInteger(e) && b >= 0 && b <= e && e <= data.byteLength)) throw new Error(`${labels[i]}: tensor "${name}" has offsets outside the file`);
      header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + e - b] };
      pieces.push(data.subarray(b, e));
      offset += e - b;
    }
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  head.set(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const p of pieces) { out.set(p, at); at += p.byteLength; }
  return out;
}

// The URL field for the files' hashes: "file:hex,file:hex".
export function formatFileHashes(hashes) {
  return Object.entries(hashes).map(([f, h]) => `${f}:${h}`).join(',');
}

export function parseFileHashes(value) {
  const hashes = {};
  const entries = value.split(',');
  if (entries.length > 64) throw new Error('more than 64 files');
  for (const entry of entries) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):([0-9a-f]{64})$/.exec(entry);
    if (!m) throw new Error(`expected file:sha256 pairs, found "${entry.slice(0, 40)}"`);
    hashes[m[1]] = m[2];
  }
  return hashes;
}
