// After a hard restart of the server on the same --data folder (issue 18,
// defect d): the runs made before are listed, a link to a finished run
// opens it with its verdict, timeline, diagram and scenario, and it
// replays; a run left paused at an event comes back there with its
// verdicts so far. Run by lab_test.go:
//   node lab-restart.mjs URL SHOTS_DIR RUN_ID BROKEN_ID PAUSED_ID PAUSED_SEQ OUT_JSON
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, id, broken, paused, pausedSeq, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const check = (cond, msg) => { if (!cond) throw new Error(`check failed: ${msg}`); };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
try {
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // The guided tour opens on a first visit (tour.mjs tests it); these
  // tests start from the page without it.
  await page.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1'));
  await page.goto(`${url}runs/${id}`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForFunction((i) => document.querySelector('#run-id').textContent.startsWith(`run ${i} `), id);
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished');
  await page.waitForSelector('#verdict');
  check(await page.locator('#verdict').textContent() === 'valid', 'the verdict is back');
  check(/^[0-9a-f]{64}$/.test((await page.locator('#digest').textContent()).trim()), 'the digest is back');
  const label = await page.locator('#slider-label').textContent();
  const m = label.match(/event (\d+) \/ (\d+)/);
  check(m && Number(m[1]) > 0 && m[1] === m[2], `the timeline is back: ${label}`);
  await page.waitForFunction((n) => Number(document.body.dataset.seen) >= n, Number(m[1]));
  check(await page.locator(`#runs li[data-run="${id}"]`).count() === 1 && await page.locator(`#runs li[data-run="${broken}"]`).count() === 1, 'the runs list has the runs made before the restart');
  check((await page.locator('#scenario').inputValue()).includes('name: twopc'), 'the editor has the run\'s scenario');
  await page.waitForFunction(() => {
    const t = document.querySelector('#lamport').contentDocument?.querySelector('#title');
    return t && /valid/.test(t.textContent) && !/live/.test(t.textContent);
  });
  await page.screenshot({ path: join(shots, 'lab-d1-after-restart.png') });
  out.steps.push(`run ${id} opened by its link after the restart: ${label}`);
  await page.locator(`#runs li[data-run="${broken}"]`).click();
  await page.waitForFunction((i) => document.querySelector('#run-id').textContent.startsWith(`run ${i} `), broken);
  await page.waitForSelector('#verdict');
  check(await page.locator('#verdict').textContent() === 'invalid', 'the broken run is still invalid');
  out.steps.push(`run ${broken} opened from the list: invalid`);
  // Replay this seed works from a run restored from disk.
  const d1 = (await page.locator('#digest').textContent()).trim();
  await page.locator('#speed').selectOption('0');
  await page.locator('#replay').click();
  await page.waitForFunction((i) => !document.querySelector('#run-id').textContent.includes(`run ${i} `) && document.querySelector('#run-id').textContent.startsWith('run '), broken);
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });
  check((await page.locator('#digest').textContent()).trim() === d1, 'the replay has the same digest');
  await page.screenshot({ path: join(shots, 'lab-d2-replayed-after-restart.png') });
  out.steps.push('replayed the restored broken run to the same digest');
  // The paused run: at its event, with the verdicts so far it had (the
  // record written before its seek's checks were kept them empty).
  await page.goto(`${url}runs/${paused}`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForFunction(([i, n]) => document.querySelector('#run-id').textContent.startsWith(`run ${i} `) && document.querySelector('#slider-label').textContent.startsWith(`event ${n} /`), [paused, pausedSeq]);
  check(await page.locator('#run-state').textContent() === 'paused', 'the paused run is still paused');
  await page.waitForSelector('#checks tr[data-check="twopc-atomicity"]');
  const so = (await page.locator('#checks tr[data-check="twopc-atomicity"]').textContent()).replace(/\s+/g, ' ');
  check(/valid/.test(so) && /so far/.test(so), `the paused run's verdicts so far are back: ${so}`);
  await page.screenshot({ path: join(shots, 'lab-d3-paused-after-restart.png') });
  out.steps.push(`run ${paused} is back paused at event ${pausedSeq}: ${so.slice(0, 60)}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'lab-restart-failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
