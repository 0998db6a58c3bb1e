// A fake Hugging Face Hub for the browser: Playwright request routing answers under
// the real origin (https://huggingface.co), so the shipped CSP is the one exercised.
// The real Hub redirects .safetensors files to a CDN host; Playwright's routing does
// not see the requests a redirect makes, so the fake follows that redirect itself
// (logged) and answers the resolve URL with the CDN's bytes.
//
// repos: {"owner/name": {file: Buffer}}; log: an array every URL asked for is
// pushed to; answer(route, repo, file, bytes): optional, may fulfil a request
// itself (a slow or cut download) and return true, or return false to let the
// fake answer it.
// -> {header, data}: a safetensors file's JSON header and the bytes after it.
export function parseSafetensors(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString()), data: bytes.subarray(8 + n) };
}

function safetensorsHeader(header) {
  const json = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(header).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data_offsets: t.data_offsets }]))));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return [len, json];
}

// A checkpoint split into `count` shards with an index, as transformers writes one:
// tensors in file order, each in the shard its first byte falls in when the data is
// cut into equal parts (a tensor larger than a part makes that shard larger).
// -> {files, shards, index}
export function shardSafetensors(whole, count) {
  const { header, data } = parseSafetensors(whole);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const parts = Array.from({ length: count }, () => []);
  for (const name of names) parts[Math.min(count - 1, Math.floor(header[name].data_offsets[0] * count / data.length))].push(name);
  const pad = (i) => String(i).padStart(5, '0');
  const files = parts.map((_, i) => `model-${pad(i + 1)}-of-${pad(count)}.safetensors`);
  const shards = parts.map((part) => {
    const h = {};
    const bodies = [];
    let at = 0;
    for (const name of part) {
      const [b, e] = header[name].data_offsets;
      h[name] = { ...header[name], data_offsets: [at, at + e - b] };
      bodies.push(data.subarray(b, e));
      at += e - b;
    }
    return Buffer.concat([...safetensorsHeader(h), ...bodies]);
  });
  const weightMap = Object.fromEntries(parts.flatMap((part, i) => part.map((n) => [n, files[i]])));
  const index = Buffer.from(JSON.stringify({ metadata: { total_size: data.length }, weight_map: weightMap }));
  return { files, shards, index };
}

export const HUB_CORS = { 'access-control-allow-origin': '*' };

export async function serveHub(context, repos, { log = [], answer = null } = {}) {
  await context.route(/^https:\/\/huggingface\.co\//, async (route) => {
    const url = new URL(route.request().url());
    log.push(url.href);
    const m = /^\/(.+)\/resolve\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || m[2] !== 'main') return route.fulfill({ status: 404, headers: HUB_CORS, body: 'Entry not found' });
    const [, repo, , file] = m;
    const bytes = repos[repo]?.[file];
    if (!bytes) return route.fulfill({ status: 404, headers: HUB_CORS, body: 'Repository not found' });
    if (file.endsWith('.safetensors')) log.push(`redirect ${url.pathname} -> https://cdn-lfs.hf.co${url.pathname}`);
    if (answer && await answer(route, repo, file, bytes)) return undefined;
    return route.fulfill({ status: 200, headers: { ...HUB_CORS, 'content-type': 'application/octet-stream' }, body: bytes });
  });
}

// Types a model id into the page's Hub field and presses Open.
export async function openHub(page, ref) {
  await page.fill('#hub-id', ref);
  await page.click('#hub-open');
}

// Waits until the page shows model `id` as the open one (in the link and the model picker).
export async function waitForModel(page, id, timeout = 30_000) {
  await page.waitForFunction((want) => location.hash.includes(`m=${want}`) && document.querySelector('#model-select')?.value === want, id, { timeout, polling: 250 });
}
