// After the server restarted on the same --data folder: the module uploaded
// before is still listed, and it runs from the page by its hash.
// Run by e2e_test.go: node restart.mjs URL SHOTS_DIR SHA256 OUT_JSON
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, sha, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  // The guided tour opens on a first visit (tour.mjs tests it); these
  // tests start from the page without it.
  await page.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1'));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForSelector(`#modules li[title="${sha}"]`);
  out.steps.push('the module uploaded before the restart is listed');
  await page.locator('#scenario').fill(`name: after-restart
seed: 9
duration: 500ms
modules:
  e: {sha256: ${sha}, roles: [server]}
nodes:
  - {name: n, count: 2, module: e, role: server}
workload: {type: echo, clients: 1, interval: 20ms, timeout: 100ms}
checks: [echo]
`);
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 60000 });
  out.digest = (await page.locator('#digest').textContent()).trim();
  await page.screenshot({ path: join(shots, '11-after-restart.png') });
  out.steps.push(`it ran after the restart: digest ${out.digest}`);
  out.ok = /^[0-9a-f]{64}$/.test(out.digest);
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
