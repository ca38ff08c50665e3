// The security patterns in the playground: each shows its guided tour in
// the gallery, and a run under attack draws the network's adversary in a
// lane of its own in the space-time diagram.
// Run by security_test.go: node security.mjs URL SHOTS_DIR OUT_JSON
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`security: ${msg}`); };
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
try {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  page = await ctx.newPage();
  // The guided tour opens on a first visit (tour.mjs tests it); these
  // tests start from the page without it.
  await ctx.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1'));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`) });

  // 1. Each security pattern has its tour beside it, in steps (every
  // other pattern has one too, without the adversary).
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  out.tours = {};
  for (const name of ['gatekeeper', 'valet', 'fedid']) {
    const tour = page.locator(`.pattern[data-pattern="${name}"] details.tour`);
    check(await tour.isVisible(), `${name} shows a tour`);
    await tour.locator('summary').click();
    const steps = await tour.locator('.steps ol li').allTextContents();
    check(steps.length >= 4, `${name}'s tour has steps: ${steps.length}`);
    check(steps.some((s) => /adversary/.test(s)), `${name}'s tour points at the adversary lane`);
    out.tours[name] = steps.length;
  }
  check(await page.locator('.pattern[data-pattern="twopc"] details.tour').count() === 1, 'twopc has a tour');
  await page.locator('.pattern[data-pattern="fedid"]').scrollIntoViewIfNeeded();
  await shot('01-security-tours');
  log(`tours: ${JSON.stringify(out.tours)}`);

  // 2. Run fedid's rotation scenario to its end.
  const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/patterns/fedid'));
  await page.locator('.pattern[data-pattern="fedid"] button[data-file="rotation.yaml"]').click();
  await loaded;
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });
  log(`fedid/rotation.yaml finished: ${(await page.locator('#digest').textContent()).trim().slice(0, 16)}`);

  // 3. The diagram has an adversary lane after the nodes' and clients'.
  const frame = page.frameLocator('#lamport');
  await frame.locator('#title').waitFor();
  await frame.locator('#lanelist option[value="adversary"]').waitFor({ state: 'attached' });
  const lanes = await frame.locator('#lanelist option').evaluateAll((os) => os.map((o) => o.value));
  check(lanes[lanes.length - 1] === 'adversary', `the adversary is the last lane: ${lanes}`);
  check(lanes.filter((l) => l === 'adversary').length === 1, 'one adversary lane');
  // Only the adversary, its victims and the attacker node: the attacks
  // stand out.
  await frame.locator('#fnode').fill('adversary, idp, bank, ledger, evil, c0');
  await frame.locator('#status').filter({ hasText: 'shown' }).waitFor();
  await page.locator('#lamport').scrollIntoViewIfNeeded();
  await shot('02-adversary-lane');
  await page.locator('#lamport').screenshot({ path: join(shots, '03-adversary-lane-frame.png') });
  out.lanes = lanes;
  log(`lanes: ${lanes.join(', ')}`);

  // 4. Clicking an attack names the adversary's lane and its victim.
  const box = await page.locator('#lamport').boundingBox();
  const found = await frame.locator('body').evaluate(() => new Promise((resolve) => {
    // rows are drawn on a canvas: walk them with the arrow keys until the
    // details panel shows an attack.
    const view = document.getElementById('view');
    let n = 0;
    const step = () => {
      const h = document.querySelector('#side h3');
      if (h && / attack$/.test(h.textContent)) { resolve(document.getElementById('side').textContent); return; }
      if (++n > 3000) { resolve(''); return; }
      view.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
      setTimeout(step, 0);
    };
    step();
  }));
  check(/lane\s*adversary/.test(found) && /peer/.test(found), `an attack's details name the adversary lane and its victim: ${found.slice(0, 200)}`);
  await page.locator('#lamport').screenshot({ path: join(shots, '04-attack-selected.png') });
  log(`attack selected (${box.width}x${box.height} frame)`);

  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
