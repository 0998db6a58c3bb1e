// Classroom lessons, run to their end in the page: every step sets its view and
// state in the URL (so a step is a link), the step's view draws its charts, and a
// step's link opened in a fresh browser shows that same step.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { VIEW_CHARTS, openBrowser, requireSite, resultsDir, startServer, waitForCharts } from './helpers.mjs';

const manifest = requireSite();
const model = manifest.models[0];
let server;
let browser;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  server = await startServer();
  browser = await openBrowser(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function stepState(page) {
  return page.evaluate(() => ({
    hash: location.hash,
    view: document.getElementById('view').dataset.view,
    count: document.getElementById('lesson-count')?.textContent,
    title: document.getElementById('lesson-step-title')?.textContent,
  }));
}

test('each lesson runs from its first step to its end', async (t) => {
  const { page } = browser;
  await page.goto(`${server.url}#m=${model.id}&v=lessons`);
  await page.waitForSelector('#lesson-list li');
  const lessons = await page.$$eval('#lesson-list li', (li) => li.map((x) => x.dataset.lesson));
  assert.ok(lessons.length >= 3, `only ${lessons.length} lessons`);
  let linkOfAStep = null;
  for (const lesson of lessons) {
    await page.click('button.tab[data-view="lessons"]');
    await page.click(`button.start-lesson[data-lesson="${lesson}"]`);
    let step = 0;
    for (;;) {
      await page.waitForFunction((k) => document.getElementById('lesson-count')?.textContent.startsWith(`step ${k + 1} of`), step);
      const s = await stepState(page);
      assert.match(s.hash, new RegExp(`n=${lesson}`), 'the lesson is not in the link');
      if (step > 0) assert.match(s.hash, new RegExp(`k=${step}(&|$)`), 'the step is not in the link');
      assert.match(s.hash, /[#&]i=/, 'the step chose no prompt');
      if (VIEW_CHARTS[s.view]) await waitForCharts(page, s.view);
      await page.screenshot({ path: join(resultsDir, `lesson-${lesson}-${step + 1}.png`), fullPage: true });
      if (lesson === 'recall' && step === 1) linkOfAStep = { url: page.url(), ...s };
      const next = await page.$('#lesson-next');
      if (!next) break;
      await next.click();
      step++;
    }
    t.diagnostic(`${lesson}: ${step + 1} steps`);
    await page.click('#lesson-end');
    await page.waitForFunction(() => document.getElementById('lesson').hidden && !/[#&]n=/.test(location.hash));
  }
  assert.ok(linkOfAStep, 'the recall lesson has no second step');
  const fresh = await openBrowser(server.url);
  try {
    await fresh.page.goto(linkOfAStep.url);
    await fresh.page.waitForFunction((title) => document.getElementById('lesson-step-title')?.textContent === title, linkOfAStep.title);
    const s = await stepState(fresh.page);
    assert.equal(s.view, linkOfAStep.view);
    assert.equal(s.count, linkOfAStep.count);
    if (VIEW_CHARTS[s.view]) await waitForCharts(fresh.page, s.view);
    assert.deepEqual(fresh.foreign, []);
    assert.deepEqual(fresh.pageErrors, []);
  } finally {
    await fresh.close();
  }
  assert.deepEqual(browser.foreign, []);
  assert.deepEqual(browser.pageErrors, []);
});
