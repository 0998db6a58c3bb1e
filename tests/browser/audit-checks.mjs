// The audit of every view, run by views.test.mjs in the page that has just
// computed every view of a model (so nothing is computed again): axe-core (WCAG 2
// A and AA rules) finds nothing serious or critical; every number drawn on a
// heatmap cell meets WCAG AA contrast (4.5:1) against its cell; no visible text
// says null, undefined or NaN or shows template text; and at 390×844 (a phone) the
// header stays short, the page does not scroll sideways, and a lesson opens as a
// bottom sheet that leaves the view its width. Screenshots at 390×844:
// web/test-results/narrow-<model>-<view>.png.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { VIEW_CHARTS, openView, resultsDir } from './helpers.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const VIEWS = [...Object.keys(VIEW_CHARTS), 'lessons'];
const MAX_NARROW_HEADER_PX = 180;

// axe-core is evaluated in the page through the devtools protocol (the page's CSP
// forbids inline scripts, and the audit must not loosen it).
async function axeFindings(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

// [{chart, text, ratio}] for every cell number below 4.5:1 against its cell.
function lowContrastCells(page) {
  return page.evaluate(() => {
    const lum = (c) => {
      const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(document.body).color && c);
      const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
      const ch = hex ? hex.slice(1, 4).map((x) => parseInt(x, 16)) : m ? m.slice(1, 4).map(Number) : null;
      if (!ch) return null;
      const [r, g, b] = ch.map((x) => x / 255).map((x) => (x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const out = [];
    for (const text of document.querySelectorAll('main figure.chart g.cell text')) {
      if (!text.textContent.trim()) continue;
      const rect = text.parentNode.querySelector('rect');
      const a = lum(text.getAttribute('fill'));
      const b = lum(rect.getAttribute('fill'));
      if (a === null || b === null) {
        out.push({ chart: text.closest('figure').dataset.chart, text: text.textContent, ratio: `unreadable colours ${text.getAttribute('fill')} on ${rect.getAttribute('fill')}` });
        continue;
      }
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push({ chart: text.closest('figure').dataset.chart, text: text.textContent, ratio: ratio.toFixed(2) });
    }
    return out;
  });
}

// Visible strings that leak a missing value or a template.
async function leakedText(page) {
  const text = await page.evaluate(() => document.body.innerText);
  return text.split('\n').filter((line) => /\bnull\b|\bundefined\b|\bNaN\b|\$\{|\{[a-z_]+\}/.test(line));
}

// Every view at 1280×900, in a page that shows `model` and has computed its views.
export async function auditEveryView(page, t) {
  await page.setViewportSize({ width: 1280, height: 900 });
  const problems = [];
  for (const view of VIEWS) {
    await openView(page, view);
    for (const f of await axeFindings(page)) problems.push(`${view}: axe: ${f}`);
    for (const c of await lowContrastCells(page)) problems.push(`${view}: ${c.chart}: "${c.text}" at ${c.ratio}:1`);
    for (const line of await leakedText(page)) problems.push(`${view}: visible text: ${line.slice(0, 120)}`);
    t.diagnostic(`${view}: audited`);
  }
  assert.deepEqual(problems, []);
}

// Every view and a lesson at 390×844, in the same page; the viewport is restored after.
export async function checkNarrow(page, modelId) {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const view of VIEWS) {
    await openView(page, view);
    const layout = await page.evaluate(() => ({
      header: document.querySelector('header.top').getBoundingClientRect().height,
      scroll: document.scrollingElement.scrollWidth,
    }));
    assert.ok(layout.header <= MAX_NARROW_HEADER_PX, `${view}: the header takes ${layout.header} px`);
    assert.ok(layout.scroll <= 391, `${view}: the page is ${layout.scroll} px wide at 390`);
    await page.screenshot({ path: join(resultsDir, `narrow-${modelId}-${view}.png`), fullPage: true });
  }
  await page.click('button.tab[data-view="lessons"]');
  await page.click('button.start-lesson[data-lesson="attention"]');
  await page.click('#lesson-next');
  await page.waitForFunction(() => document.getElementById('lesson-count')?.textContent.startsWith('step 2 of'));
  const sheet = await page.evaluate(() => {
    const aside = document.getElementById('lesson').getBoundingClientRect();
    return { position: getComputedStyle(document.getElementById('lesson')).position, bottom: aside.bottom, width: aside.width, main: document.getElementById('view').getBoundingClientRect().width };
  });
  assert.equal(sheet.position, 'fixed');
  assert.ok(Math.abs(sheet.bottom - 844) < 2, `the lesson sheet ends at ${sheet.bottom}`);
  assert.ok(sheet.main >= 360, `the view is squeezed to ${sheet.main} px`);
  await page.screenshot({ path: join(resultsDir, `narrow-${modelId}-lesson.png`) });
  await page.evaluate(() => window.strata.actions.endLesson());
  await page.setViewportSize({ width: 1280, height: 900 });
}
