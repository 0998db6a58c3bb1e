import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { openBrowser, predictions, requireSite, startServer } from './helpers.mjs';
requireSite();
test('probe', async () => {
  const server = await startServer(); const browser = await openBrowser(server.url);
  const { page } = browser;
  let out = '';
  for (const m of ['tiny-gpt2-world', 'tiny-llama-world', 'tiny-gpt2-world']) {
    await page.goto('about:blank');
    await page.goto(`${server.url}#m=${m}`);
    await predictions(page);
    const t0 = Date.now();
    await page.click('button.tab[data-view="study"]');
    const marks = {};
    for (const sel of ['#view figure.chart svg', '[data-chart="study-layers"], figure[data-name="study-layers"]', '#study-nulls', '#view figure.chart:nth-of-type(1)']) {
    }
    await page.waitForSelector('#view figure.chart svg', { timeout: 120000 }); marks.first = Date.now() - t0;
    await page.waitForSelector('#study-summary', { timeout: 120000 }); marks.studyReal = Date.now() - t0;
    await page.waitForSelector('#study-nulls', { timeout: 120000 }); marks.nulls = Date.now() - t0;
    out += `${m} ${JSON.stringify(marks)}\n`;
  }
  writeFileSync('/tmp/probe.txt', out);
  await browser.close(); await server.close();
});
