// Sweeps, shrink and the explorer from the page (issue 18 part 6, issue 21
// part 7). Run by search_test.go:
//   node search.mjs URL SHOTS_DIR BROKEN_YAML LEASE_YAML OUT_JSON
// BROKEN_YAML fails on every seed and shrinks to one fault; LEASE_YAML is
// the zoo's lease, whose bug only a schedule finds.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, brokenYAML, leaseYAML, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`search: ${msg}`); };

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
let size = '1440';
const errors = [];
const shot = async (name) => page.screenshot({ path: join(shots, `search-${size}-${name}.png`) });
const text = async (sel) => (await page.locator(sel).textContent()) || '';
const open = async () => {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
};
const finished = () => page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });
const newRun = async (before) => page.waitForFunction((b) => {
  const t = document.querySelector('#run-id').textContent;
  return t !== b && t.startsWith('run ');
}, before, { timeout: 60000 });

// sweep runs seeds 1..5 of the broken scenario: the bar moves, every
// seed fails, and a failing seed opens as a run.
async function sweep() {
  await page.locator('#scenario').fill(readFileSync(brokenYAML, 'utf8'));
  await page.locator('#sweep-seeds').fill('1..5');
  await page.locator('#sweep-start').click();
  await page.waitForFunction(() => document.querySelector('#sweep-progress').value >= 1, null, { timeout: 120000 });
  const mid = await page.locator('#sweep-progress').evaluate((p) => [p.value, p.max]);
  check(mid[1] === 5, `the bar counts 5 seeds: ${mid}`);
  await shot('1-sweep-running');
  log(`sweep running, bar at ${mid[0]} of ${mid[1]}`);
  await page.waitForFunction(() => /^done: 5 \/ 5 seeds, 5 failing/.test(document.querySelector('#sweep-status').textContent), null, { timeout: 180000 });
  check(await page.locator('#sweep-failures a.open-seed').count() === 5, 'five failing seeds listed');
  check(await page.locator('#sweep-progress').evaluate((p) => p.value === p.max), 'the bar is full');
  await shot('2-sweep-done');
  log(`sweep done: ${await text('#sweep-status')}`);

  const before = await text('#run-id');
  await page.locator('#sweep-failures li[data-seed="2"] a.open-seed').click();
  await newRun(before);
  check((await text('#run-id')).includes('seed 2'), `the run has seed 2: ${await text('#run-id')}`);
  await page.locator('#finish').click();
  await finished();
  const verdict = await text('#checks');
  check(/invalid/.test(verdict), `seed 2 fails when opened: ${verdict}`);
  await shot('3-seed-opened');
  log(`seed 2 opened and finished: ${verdict.slice(0, 80)}`);
}

// shrink shrinks the open failing run and opens the minimal scenario,
// which still fails with one fault left.
async function shrink() {
  await page.locator('#shrink-run').click();
  await page.waitForFunction(() => document.querySelector('#shrink-progress').value >= 1, null, { timeout: 120000 });
  await shot('4-shrink-running');
  await page.locator('#shrink-open').waitFor({ state: 'visible', timeout: 300000 });
  log(`shrink: ${await text('#shrink-status')}`);
  const before = await text('#run-id');
  await page.locator('#shrink-open').click();
  await newRun(before);
  const editor = await page.locator('#scenario').inputValue();
  check(/name: broadcast-broken-schedule-min/.test(editor), 'the minimal scenario is in the editor');
  const faults = (editor.match(/action: /g) || []).length;
  check(faults < 9, `fewer faults than the 9 it started with: ${faults}`);
  await page.locator('#finish').click();
  await finished();
  check(/invalid/.test(await text('#checks')), 'the minimal scenario still fails');
  await shot('5-minimal-opened');
  log(`minimal scenario opened: ${faults} fault(s), still invalid`);
}

// explore searches the lease's schedules, opens the found one, steps
// through its decisions (each seeks the run) and draws the graph.
async function explore() {
  await page.locator('#scenario').fill(readFileSync(leaseYAML, 'utf8'));
  await page.locator('#explore-strategy').selectOption('dfs');
  await page.locator('#explore-budget').fill('300');
  await page.locator('#explore-start').click();
  await page.locator('#explore-open').waitFor({ state: 'visible', timeout: 180000 });
  const stats = await text('#explore-stats');
  check(/^runs \d+ · states \d+ · distinct \d+ · depth \d+/.test(stats), `stats shown: ${stats}`);
  log(`explore: ${await text('#explore-status')} | ${stats}`);
  const before = await text('#run-id');
  await page.locator('#explore-open').click();
  await newRun(before);
  check(/^schedule:/m.test(await page.locator('#scenario').inputValue()), 'the found schedule is in the editor');
  await page.locator('#explorer').waitFor({ state: 'visible' });
  const decisions = await page.locator('#explorer-decisions button.decision').count();
  check(decisions >= 1, `decisions listed: ${decisions}`);
  const states = await page.locator('#explorer-graph circle.state').count();
  check(states >= 3, `the state graph has states: ${states}`);
  check(await page.locator('#explorer-graph circle.state.failing.path').count() === 1, 'the path ends in a failing state');
  check(await page.locator('#explorer-graph line.edge:not(.path)').count() >= 1, 'options not taken are drawn');
  await page.locator('#explorer-next').click();
  await page.waitForFunction(() => document.querySelector('#explorer-decisions button.current') !== null);
  const want = Number((await page.locator('#explorer-decisions button.current').getAttribute('title')).match(/event (\d+)/)[1]);
  await page.waitForFunction((w) => /^event (\d+)/.exec(document.querySelector('#slider-label').textContent) && Number(/^event (\d+)/.exec(document.querySelector('#slider-label').textContent)[1]) >= w, want);
  check(await page.locator('#explorer-graph circle.state.current').count() === 1, 'the decision\'s state is highlighted');
  await page.waitForFunction((w) => document.querySelector('#lamport').getAttribute('src').includes(`#%23${w}`), want, { timeout: 20000 });
  await page.waitForTimeout(800); // let the diagram paint before the screenshot
  await shot('6-explorer-step');
  log(`explorer: ${decisions} decision(s), ${states} states; stepped to event ${want}, ${await text('#slider-label')}`);
  await page.locator('#finish').click();
  await finished();
  check(/invalid/.test(await text('#checks')), 'the found schedule fails in the page');
  await shot('7-explorer-finished');
}

// small checks the layout at 1024x768 with a found schedule open.
async function small() {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  await ctx.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1')); // no first-visit tour
  page = await ctx.newPage();
  size = '1024';
  page.on('pageerror', (e) => errors.push(String(e)));
  await open();
  await explore();
  const box = await page.locator('#search').boundingBox();
  check(box && box.width > 150, `the search panel is laid out at 1024: ${JSON.stringify(box)}`);
  await page.locator('#search').scrollIntoViewIfNeeded();
  await shot('8-panel');
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1')); // no first-visit tour
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  await open();
  const only = (process.env.SEARCH_ONLY || '').split(',').filter(Boolean);
  for (const [name, fn] of Object.entries({ sweep, shrink, explore, small })) {
    if (only.length && !only.includes(name)) continue;
    await fn();
  }
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, `search-${size}-failure.png`) }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
