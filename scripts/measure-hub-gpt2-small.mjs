// Measures the page on a model of GPT-2 small's size opened from the Hugging Face
// Hub: a random-weight checkpoint (12 layers, width 768, 12 heads, MLP 3072, the
// 50257-token vocabulary, context 1024; F32 safetensors with GPT-2's tensor names,
// config.json and GPT-2's real tokenizer.json) is served Hub-shaped by the browser
// tests' fake Hub (the weights through a redirect, see below), opened through the page's Hub field in headless Chromium, and
// every view is opened in turn. Per analysis it records whether it started, the
// progress text the page showed, how it ended (done, the error or notice shown,
// or "timed out" after which it is cancelled with the page's Cancel button) and
// the wall seconds. The figures mean nothing (random weights); the timings and
// failures are the point. Not part of the test command: it takes many minutes.
//
//   bash scripts/build-site.sh
//   nice node scripts/measure-hub-gpt2-small.mjs --out gpt2-small.json [--views lens,patching] [--timeout-min 20]
//
// Prints a Markdown table; --out writes the same rows as JSON with the load average.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

import { HUB_CORS, openHub, serveHub, waitForModel } from '../tests/browser/fake-hub.mjs';
import { VIEW_CHARTS, dist, openBrowser, requireSite, startServer } from '../tests/browser/helpers.mjs';
import { makeGpt2Tokenizer } from '../tests/node/make-gpt2-tokenizer.mjs';
import { writeRandomGpt2 } from '../tests/node/random-gpt2.mjs';

const ALL_VIEWS = ['model', 'attention', 'flow', 'lens', 'attribution', 'patching', 'ablation', 'study', 'neurons'];
const REPO = 'measure/gpt2-small-random';
const GPT2_SMALL = { layers: 12, width: 768, heads: 12, context: 1024 };

const { values: opts } = parseArgs({ options: {
  out: { type: 'string' }, views: { type: 'string' }, 'timeout-min': { type: 'string', default: '20' },
} });
const views = opts.views ? opts.views.split(',') : ALL_VIEWS;
for (const v of views) if (!ALL_VIEWS.includes(v)) throw new Error(`--views: unknown view "${v}" (known: ${ALL_VIEWS.join(', ')})`);
const timeoutMs = Number(opts['timeout-min']) * 60_000;
if (!(timeoutMs > 0)) throw new Error(`--timeout-min: "${opts['timeout-min']}" is not a positive number of minutes`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (text) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
const seconds = (ms) => Math.round(ms / 100) / 10;

// Resident memory of the browser (every process started with the profile folder), in MB.
function browserMegabytes(profile) {
  try {
    const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8', maxBuffer: 1 << 24 });
    return Math.round(out.split('\n').filter((l) => l.includes(profile)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]), 0) / 1024);
  } catch {
    return null;
  }
}

// What the page shows about its analyses now: the scheduler's entries (window.strata,
// main.js) and, per label, the progress text and any alert or note in the view.
function pageState(page) {
  return page.evaluate(() => {
    const app = window.strata;
    const entries = (group) => Object.entries(app?.data?.[group] ?? {}).map(([label, e]) => ({
      label, name: e.name, status: e.status, progress: e.progress ?? null, stage: e.stage ?? null, error: e.error ?? null, ms: e.ms ?? null,
    }));
    const shown = {};
    for (const node of document.querySelectorAll('main [data-analysis]')) {
      shown[node.dataset.analysis] = { kind: node.className, text: node.textContent.replace(/\s*Cancel\s*$/, '').trim() };
    }
    return {
      view: document.getElementById('view')?.dataset.view ?? null,
      analyses: entries('analyses'), previews: entries('previews'), shown,
      alerts: [...document.querySelectorAll('main [role="alert"]')].map((n) => n.textContent),
      runError: app?.data?.runError ?? null, loading: app?.data?.loading ?? null,
    };
  });
}

function chartsDrawn(page, view) {
  const names = VIEW_CHARTS[view] ?? [];
  return page.evaluate((list) => list.every((n) => document.querySelector(n.endsWith('*')
    ? `main figure.chart[data-chart^="${n.slice(0, -1)}"] svg` : `main figure.chart[data-chart="${n}"] svg`)), names);
}

// Opens one view and follows its analyses until each is done, failed, cancelled or timed out.
async function measureView(page, view, profile) {
  const started = Date.now();
  await page.click(`button.tab[data-view="${view}"]`);
  await page.waitForFunction((v) => document.getElementById('view')?.dataset.view === v, view);
  const rows = new Map();  // key -> row
  let peakMb = 0;
  for (;;) {
    const now = Date.now();
    const state = await pageState(page);
    const mb = browserMegabytes(profile);
    if (mb) peakMb = Math.max(peakMb, mb);
    const all = [...state.previews.map((e) => ({ ...e, key: `${e.label} (preview)` })), ...state.analyses.map((e) => ({ ...e, key: e.label }))];
    for (const e of all) {
      let row = rows.get(e.key);
      if (!row) {
        row = { view, analysis: e.key, name: e.name, started: false, progress: [], outcome: null, seconds: null, firstSeen: now, computingSince: null };
        rows.set(e.key, row);
      }
      if (row.outcome && row.outcome !== 'running') continue;
      if (e.status === 'running' || e.status === 'done') row.started = true;
      if (e.status === 'running' && row.computingSince === null && (e.progress > 0 || (e.stage && e.stage !== 'starting'))) row.computingSince = now;
      const text = e.key.endsWith('(preview)') ? null : state.shown[e.label]?.text;
      if (text && /\(\d+%\)$/.test(text) && row.progress.at(-1) !== text) row.progress.push(text);
      if (e.status === 'done') Object.assign(row, { outcome: 'completed', seconds: seconds(e.ms ?? now - row.firstSeen) });
      else if (e.status === 'error') Object.assign(row, { outcome: `error: ${e.error}`, seconds: seconds(now - row.firstSeen) });
      else if (e.status === 'waiting') Object.assign(row, { outcome: `waiting: ${state.shown[e.label]?.text ?? 'needs a prompt or the suite'}`, seconds: 0 });
      else if (e.status === 'cancelled' && row.outcome !== 'timed out') Object.assign(row, { outcome: 'cancelled', seconds: seconds(now - row.firstSeen) });
      else if (e.status === 'running') {
        row.outcome = 'running';
        const since = row.computingSince ?? row.firstSeen;
        if (now - since > timeoutMs && !e.key.endsWith('(preview)')) {
          log(`${view}/${e.key}: timed out after ${seconds(now - since)} s; pressing Cancel`);
          Object.assign(row, { outcome: 'timed out', seconds: seconds(now - row.firstSeen) });
          await page.click(`main button[data-cancel="${e.label}"]`).catch((error) => { row.outcome = `timed out; Cancel failed: ${error.message.split('\n')[0]}`; });
        }
      }
    }
    const open = [...rows.values()].filter((r) => r.outcome === null || r.outcome === 'running');
    if (rows.size && !open.length) break;
    // Views without analyses of their own (the prediction, the attention maps) end when their charts are drawn.
    if (!rows.size) {
      if (state.alerts.length) {
        rows.set(view, { view, analysis: `${view} (view)`, name: null, started: true, progress: [], outcome: `error: ${state.alerts[0]}`, seconds: seconds(now - started) });
        break;
      }
      if (VIEW_CHARTS[view] && await chartsDrawn(page, view)) {
        rows.set(view, { view, analysis: `${view} (view)`, name: null, started: true, progress: [], outcome: 'completed', seconds: seconds(now - started) });
        break;
      }
      if (now - started > timeoutMs) {
        rows.set(view, { view, analysis: `${view} (view)`, name: null, started: false, progress: [], outcome: 'timed out', seconds: seconds(now - started) });
        break;
      }
    }
    await sleep(500);
  }
  for (const r of rows.values()) {
    r.progressSeen = r.progress.length > 0;
    r.progress = r.progress.length > 2 ? [r.progress[0], r.progress.at(-1)] : r.progress;
    r.peakBrowserMb = peakMb;
    r.loadAverage = loadavg().map((x) => Math.round(x * 100) / 100);
    delete r.firstSeen;
    delete r.computingSince;
    log(`${view}/${r.analysis}: ${r.outcome} in ${r.seconds} s${r.progressSeen ? `; progress "${r.progress.at(-1)}"` : '; no progress shown'}`);
  }
  return [...rows.values()];
}

function table(rows) {
  const cell = (t) => String(t ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 160);
  const lines = ['| view | analysis | started | progress shown | outcome | wall s | browser MB (peak) | load avg (1/5/15) |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| ${r.view} | ${cell(r.analysis)} | ${r.started ? 'yes' : 'no'} | ${r.progressSeen ? cell(r.progress.at(-1)) : 'no'} | ${cell(r.outcome)} | ${r.seconds ?? ''} | ${r.peakBrowserMb ?? ''} | ${r.loadAverage?.join(' / ') ?? ''} |`);
  }
  return lines.join('\n');
}

async function main() {
  requireSite();
  const work = mkdtempSync(join(tmpdir(), 'strata-gpt2-small-'));
  const rows = [];
  let browser = null;
  let site = null;
  try {
    log('writing the random GPT-2 small checkpoint');
    const tokenizerPath = join(work, 'gpt2-tokenizer.json');
    writeFileSync(tokenizerPath, JSON.stringify(makeGpt2Tokenizer()));
    const modelDir = join(work, 'model');
    writeRandomGpt2(modelDir, tokenizerPath, GPT2_SMALL);
    const whole = readFileSync(join(modelDir, 'model.safetensors'));
    log(`model.safetensors: ${(whole.length / 1e6).toFixed(1)} MB`);
    const files = Object.fromEntries(['config.json', 'tokenizer.json'].map((f) => [f, readFileSync(join(modelDir, f))]));
    files['model.safetensors'] = whole;

    // Playwright hands a routed body to the browser in one DevTools message, and
    // Chromium's pipe takes at most 100 MiB: the fake Hub cannot answer 498 MB (nor
    // the 154 MB embedding alone, so shards do not help). It does what the real Hub
    // does instead: redirects the weights, here to a copy of them that the site's
    // own server holds (allowed by the page's CSP as 'self'; CORS-open like a CDN).
    const siteDir = join(work, 'site');
    cpSync(dist, siteDir, { recursive: true });
    const cdnPath = `cdn/${REPO}/resolve/main/model.safetensors`;
    mkdirSync(join(siteDir, dirname(cdnPath)), { recursive: true });
    writeFileSync(join(siteDir, cdnPath), whole);
    const id = `sha256-${createHash('sha256').update(whole).digest('hex')}`;

    site = await startServer(siteDir, HUB_CORS);
    browser = await openBrowser(site.url);
    const profile = browser.profile;
    await serveHub(browser.context, { [REPO]: files }, { answer: async (route, repo, file) => {
      if (file !== 'model.safetensors') return false;
      await route.fulfill({ status: 302, headers: { ...HUB_CORS, location: `${site.url}${cdnPath}` } });
      return true;
    } });
    const { page } = browser;
    await page.goto(site.url);
    await page.waitForSelector('#hub-open');

    // Opening: the download, the suite built in the page, the weights into the workers.
    const stages = [];
    const hubLines = [];
    const opened = Date.now();
    await openHub(page, REPO);
    let openOutcome = null;
    let peakMb = 0;
    while (!openOutcome) {
      const s = await page.evaluate(() => ({ loading: window.strata?.data?.loading ?? null, error: document.querySelector('#model-error')?.textContent || null,
        hub: document.querySelector('#hub-progress-text')?.textContent || null, suite: window.strata?.data?.model?.suite?.items?.length ?? 0,
        model: window.strata?.data?.model?.id ?? null }));
      peakMb = Math.max(peakMb, browserMegabytes(profile) ?? 0);
      if (s.loading && stages.at(-1) !== s.loading) { stages.push(s.loading); log(`open: ${s.loading}`); }
      if (s.hub && hubLines.at(-1) !== s.hub) hubLines.push(s.hub);
      if (s.error) openOutcome = `error: ${s.error}`;
      else if (s.model === id) openOutcome = s.suite ? `completed (suite of ${s.suite} items)` : 'completed, without a suite';
      else if (Date.now() - opened > timeoutMs) openOutcome = 'timed out';
      else await sleep(500);
    }
    if (openOutcome.startsWith('completed')) await waitForModel(page, id, 60_000).catch(() => { openOutcome += '; the link never named the model'; });
    const notices = await page.$$eval('#notices p', (ps) => ps.map((p) => p.textContent));
    rows.push({ view: 'open', analysis: 'Hub download + suite + load', name: null, started: true, progressSeen: hubLines.length > 0,
      progress: [hubLines[0], hubLines.at(-1), ...stages].filter(Boolean), outcome: openOutcome, seconds: seconds(Date.now() - opened),
      peakBrowserMb: peakMb, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100), notices });
    log(`open: ${openOutcome} in ${rows[0].seconds} s; notices: ${notices.join(' | ')}`);

    if (openOutcome.startsWith('completed')) {
      // Random weights answer nothing right, so the built suite marks every item and the
      // analyses would leave them all out: ask them to keep the items answered wrong.
      if (await page.isVisible('#keep-answered-wrong')) {
        await page.check('#keep-answered-wrong');
        await page.waitForFunction(() => /[#&]aw=all(&|$)/.test(location.hash));
        log('open: the analyses keep the items answered wrong (aw=all)');
      }
      for (const view of views) {
        log(`view ${view}`);
        try {
          rows.push(...await measureView(page, view, profile));
        } catch (error) {
          rows.push({ view, analysis: `${view} (view)`, started: false, progressSeen: false, progress: [], outcome: `harness error: ${error.message.split('\n')[0]}`, seconds: null, loadAverage: loadavg() });
          log(`${view}: harness error: ${error.message}`);
        }
      }
    }
    const pageErrors = browser.pageErrors;
    const report = { model: { repo: REPO, ...GPT2_SMALL, mlp: 3072, vocab: 50257, bytes: whole.length },
      timeoutMinutes: timeoutMs / 60_000, cpus: (await import('node:os')).cpus().length, rows, pageErrors };
    console.log(table(rows));
    if (pageErrors.length) console.log(`\nPage errors: ${pageErrors.join(' | ')}`);
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await browser?.close();
    await site?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
