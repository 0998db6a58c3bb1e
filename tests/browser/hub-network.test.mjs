// Opening a model from the Hub over a real connection: a local HTTPS server
// answers for huggingface.co and for the download host its resolve URLs
// redirect to (Chromium maps both names to it, --host-resolver-rules), so the
// page's own fetch follows a real 302 under the shipped CSP, and the server can
// do what request routing cannot: cut the connection in the middle of a body,
// and stream a body with no length past the page's limit. Also: 401 and 403,
// and files whose announced length is over their limit (a tokenizer, and weights
// at the download host). A refused download is let go of at once (the server sees
// the connection close before the body's end); a failed one leaves nothing in the
// cache, and the next attempt fetches again and opens. A shipped model chosen
// while a download runs stops it, with a notice saying so.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { openHub, waitForModel } from './fake-hub.mjs';
import { openBrowser, requireSite, root, startServer } from './helpers.mjs';

const fixture = join(root, 'tests', 'data', 'parity', 'gpt2-f32');
const config = readFileSync(join(fixture, 'config.json'));
const whole = readFileSync(join(fixture, 'model.safetensors'));
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const CDN = 'cdn-lfs.hf.co';  // one of the download hosts the page's CSP allows
const CORS = { 'access-control-allow-origin': '*' };

let site;
let hub;
let scratch;
const log = [];
const cuts = { 'test/cut-mid': 1 };  // repo -> how many more weight downloads to cut halfway
const closed = {};  // "host/path" -> a promise of how that answer ended: 'let go' or 'sent in full'

// Records how an answer ends: the browser letting go of it before its end, or not.
function watchClose(req, res) {
  closed[`${req.headers.host.split(':')[0]}${req.url}`] = new Promise((r) => res.once('close', () => r(res.writableFinished ? 'sent in full' : 'let go')));
}

// How the answer at "host/path" ended, or 'still open' after 3 s.
const ending = (key) => Promise.race([closed[key], new Promise((r) => setTimeout(r, 3000, 'still open'))]);

// The fake Hub's answers, by repo: the weights through a redirect to the CDN host.
function answer(req, res) {
  const host = req.headers.host.split(':')[0];
  log.push(`${host}${req.url}`);
  if (host === CDN) {
    const repo = decodeURIComponent(req.url.split('/')[2]);
    if (repo === 'test/held') {
      res.writeHead(200, { ...CORS, 'content-length': String(whole.length) });
      watchClose(req, res);
      return res.write(whole.subarray(0, 8));  // and held open, as a slow download
    }
    if (repo === 'test/huge-weights') {
      res.writeHead(200, { ...CORS, 'content-length': String(2e9) });  // announced over the weights limit
      watchClose(req, res);
      return res.write(whole.subarray(0, 8));  // and held open
    }
    res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(whole.length) });
    if ((cuts[repo] ?? 0) > 0) {
      cuts[repo] -= 1;
      res.write(whole.subarray(0, whole.length >> 1), () => res.destroy());  // the connection drops mid-body
      return;
    }
    res.end(whole);
    return;
  }
  const m = /^\/(.+)\/resolve\/main\/([^/]+)$/.exec(req.url);
  const [repo, file] = m ? [m[1], m[2]] : [null, null];
  if (repo === 'test/gated') return res.writeHead(401, CORS).end('Access to model test/gated is restricted.');
  if (repo === 'test/private') return res.writeHead(403, CORS).end('Forbidden');
  if (file === 'config.json' && repo === 'test/endless-config') {
    res.writeHead(200, { ...CORS, 'content-type': 'application/json' });  // chunked: no length announced
    watchClose(req, res);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const more = () => {
      while (sent < 64e6 && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once('drain', more);
      }
      res.end();
    };
    return more();
  }
  if (file === 'config.json') return res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(config);
  if (file === 'tokenizer.json' && repo === 'test/huge-tokenizer') {
    res.writeHead(200, { ...CORS, 'content-length': String(70e6) });  // announced over the 64 MB limit
    watchClose(req, res);
    return res.write('{');  // and held open: only the browser letting go ends it
  }
  if (file === 'model.safetensors') {
    res.writeHead(302, { ...CORS, location: `https://${CDN}/repos/${encodeURIComponent(repo)}/model.safetensors` });
    return res.end();
  }
  return res.writeHead(404, CORS).end('Entry not found');
}

before(async () => {
  requireSite();
  site = await startServer();
  scratch = mkdtempSync(join(tmpdir(), 'strata-hub-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=huggingface.co',
    '-addext', `subjectAltName=DNS:huggingface.co,DNS:${CDN}`,
    '-keyout', join(scratch, 'key.pem'), '-out', join(scratch, 'cert.pem')], { stdio: 'ignore' });
  hub = createServer({ key: readFileSync(join(scratch, 'key.pem')), cert: readFileSync(join(scratch, 'cert.pem')) }, answer);
  await new Promise((r) => hub.listen(0, '127.0.0.1', r));
});
after(async () => {
  hub?.closeAllConnections();
  await new Promise((r) => (hub ? hub.close(r) : r()));
  await site?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function modelError(page, pattern) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#model-error')?.textContent ?? ''), pattern.source, { timeout: 30_000 });
  return page.textContent('#model-error');
}

const cachedUrls = (page) => page.evaluate(async () => (await (await caches.open('strata-hub-v1')).keys()).map((r) => r.url));

test('over a real connection: a redirect to the download host, a cut mid-body, 401 and 403, and the per-file limits', async () => {
  const { port } = hub.address();
  const browser = await openBrowser(site.url, { hostRules: `MAP huggingface.co 127.0.0.1:${port}, MAP ${CDN} 127.0.0.1:${port}` });
  const { page } = browser;
  try {
    await page.goto(site.url);
    await page.waitForSelector('#hub-open');

    // A connection dropped halfway through the weights: one line naming the file, nothing cached.
    await openHub(page, 'test/cut-mid');
    assert.match(await modelError(page, /cut after/),
      /^Could not open test\/cut-mid@main from the Hub: model\.safetensors: the download was cut after \d+ of \d+ bytes\.$/);
    assert.ok(log.includes(`${CDN}/repos/test%2Fcut-mid/model.safetensors`), 'the weights came through the redirect');
    assert.ok(!(await cachedUrls(page)).some((u) => u.endsWith('/model.safetensors')), 'a cut download is not cached');
    assert.equal(await page.isHidden('#hub-progress'), true, 'the progress bar is gone');

    // The next attempt fetches the weights again, through the real 302, and opens them.
    const before = log.filter((l) => l.startsWith(CDN)).length;
    await openHub(page, 'test/cut-mid');
    await waitForModel(page, `sha256-${sha(whole)}`);
    assert.equal(log.filter((l) => l.startsWith(CDN)).length, before + 1);
    assert.ok((await cachedUrls(page)).includes('https://huggingface.co/test/cut-mid/resolve/main/model.safetensors'));

    await openHub(page, 'test/gated');
    assert.equal(await modelError(page, /refused/),
      'Could not open test/gated@main from the Hub: config.json: the Hub refused access (401); gated and private models cannot be opened here.');
    await openHub(page, 'test/private');
    assert.equal(await modelError(page, /refused access \(403\)/),
      'Could not open test/private@main from the Hub: config.json: the Hub refused access (403); gated and private models cannot be opened here.');

    // Limits: a length announced over the limit is refused before the body is read;
    // a body with no length is stopped once it passes the limit.
    await openHub(page, 'test/huge-tokenizer');
    assert.equal(await modelError(page, /tokenizer\.json is/),
      'Could not open test/huge-tokenizer@main from the Hub: tokenizer.json is 70.0 MB; this page can open files up to 64.0 MB.');
    await openHub(page, 'test/huge-weights');
    assert.equal(await modelError(page, /model\.safetensors is/),
      'Could not open test/huge-weights@main from the Hub: model.safetensors is 2000.0 MB; this page can open files up to 1610.6 MB.');
    await openHub(page, 'test/endless-config');
    assert.equal(await modelError(page, /larger than/),
      'Could not open test/endless-config@main from the Hub: config.json is larger than 1.00 MB, this page\'s limit.');
    // A refused download is let go of at once, not left holding a connection.
    assert.equal(await page.isHidden('#hub-progress'), true, 'no progress bar is left behind');
    for (const f of ['huggingface.co/test/huge-tokenizer/resolve/main/tokenizer.json', `${CDN}/repos/test%2Fhuge-weights/model.safetensors`,
      'huggingface.co/test/endless-config/resolve/main/config.json']) {
      assert.equal(await ending(f), 'let go', f);
    }
    const refused = ['test/gated/resolve/main/config.json', 'test/private/resolve/main/config.json',
      'test/huge-tokenizer/resolve/main/tokenizer.json', 'test/huge-weights/resolve/main/model.safetensors', 'test/endless-config/resolve/main/config.json'];
    const cached = await cachedUrls(page);
    assert.deepEqual(refused.filter((f) => cached.includes(`https://huggingface.co/${f}`)), [], 'no refused file is cached');

    // The page stays usable: the model opened before is still there to open.
    await openHub(page, 'test/cut-mid');
    await waitForModel(page, `sha256-${sha(whole)}`);

    // A shipped model chosen while a Hub download runs stops that download.
    await openHub(page, 'test/held');
    await page.waitForFunction(() => /^model\.safetensors:/.test(document.querySelector('#hub-progress-text')?.textContent ?? ''));
    const shipped = await page.$eval('#model-select option', (o) => o.value);
    await page.selectOption('#model-select', shipped);
    await waitForModel(page, shipped);
    const held = `${CDN}/repos/test%2Fheld/model.safetensors`;
    assert.equal(await ending(held), 'let go', held);
    assert.equal(await page.isHidden('#hub-progress'), true, 'no progress bar is left behind');
    assert.match(await page.textContent('#notices'), /test\/held@main was not opened from the Hub: another model was chosen while it loaded\./);
    assert.equal(await page.$('#model-error'), null, 'a stopped download is not an error');
    assert.deepEqual(browser.pageErrors, []);
  } finally {
    await browser.close();
  }
});
