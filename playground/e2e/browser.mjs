// Drives the playground in headless Debian chromium with playwright-core, as
// a person would: run 2PC, crash the coordinator, partition two nodes, drag
// the time slider back and fork, finish and export, upload bad modules.
// Run by e2e_test.go: node browser.mjs URL SHOTS_DIR BAD_ABI_WASM GOOD_WASM OUT_JSON
import { chromium } from 'playwright-core';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, badAbi, goodWasm, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`browser: ${msg}`); };

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
  // The 4xx answers this test provokes are logged by chromium as failed
  // loads; anything else on the console is a defect.
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`) });
  const runState = () => page.locator('#run-state').textContent();
  const runId = async () => (await page.locator('#run-id').textContent()).split(' ')[1];

  // 1. Load the page: the gallery lists the eight patterns in three categories.
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  const patterns = await page.locator('.pattern').count();
  check(patterns === 8, `gallery shows 8 patterns, saw ${patterns}`);
  const cats = await page.locator('.cat').allTextContents();
  check(cats.includes('object communication') && cats.includes('event-driven') && cats.includes('security'), `categories ${cats}`);
  await shot('01-loaded');
  log('page loaded with 8 patterns');

  // 2. A scenario error comes back at its line and column.
  const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/patterns/twopc'));
  await page.locator('.pattern[data-pattern="twopc"] button[data-file="scenario.yaml"]').click();
  await loaded; // the file is in the editor before it is edited
  const good = await page.locator('#scenario').inputValue();
  await page.locator('#scenario').fill(good.replace('duration: 3s', 'duration: 3 parsecs'));
  await page.locator('#run').click();
  await page.waitForSelector('#problems li');
  const prob = await page.locator('#problems li').first().textContent();
  check(/duration/.test(prob) && /^\d+:\d+/.test(prob), `problem names line:col and field: ${prob}`);
  check(await page.locator('#gutter .err').count() === 1, 'the gutter marks the bad line');
  await shot('02-scenario-error');
  log(`scenario error shown: ${prob}`);

  // 3. Run the 2PC pattern, paused at 0, then advance to 1 s.
  await page.locator('.pattern[data-pattern="twopc"] button[data-file="scenario.yaml"]').click();
  await page.locator('#start-paused').check();
  await page.locator('#run').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'paused' && document.querySelector('#run-id').textContent.startsWith('run '));
  const first = await runId();
  await page.locator('#advance-to').fill('1s');
  await page.locator('#advance').click();
  await page.waitForFunction(() => document.querySelector('#vtime').textContent.startsWith('1000ms'));
  await page.waitForSelector('#topology .node[data-node="coord"][data-state="running"]');
  await shot('03-twopc-at-1s');
  log(`run ${first} at 1s`);

  // Resume at 1x wall-clock pacing, watch virtual time move, pause.
  await page.locator('#speed').selectOption('1');
  await page.locator('#resume').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'running');
  await page.waitForFunction(() => parseFloat(document.querySelector('#vtime').textContent) > 1050);
  await page.locator('#pause').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'paused');
  log(`resumed and paused at ${await page.locator('#vtime').textContent()}`);

  // 4. Step one event at a time until a participant has voted yes and waits
  // for the decision, then crash the coordinator from the topology view: the
  // participants that voted yes are left in doubt, and twopc-blocking says
  // how long.
  // Wait for the views to have seen every event of the run so far.
  const caughtUp = () => page.waitForFunction(() => {
    const m = document.querySelector('#slider-label').textContent.match(/event (\d+)/);
    return m && Number(document.body.dataset.seen) >= Number(m[1]);
  });
  await caughtUp();
  for (let i = 0; i < 400 && (await page.locator('#topology .doubt').count()) === 0; i++) {
    const before = await page.locator('#slider-label').textContent();
    await page.locator('#step').click();
    // (A step that records no trace event leaves the label as it was.)
    await page.waitForFunction((b) => document.querySelector('#slider-label').textContent !== b, before, { timeout: 2000 }).catch(() => {});
    await caughtUp();
  }
  check(await page.locator('#topology .doubt').count() > 0, 'a participant is in doubt before the crash');
  await page.locator('#topology .node[data-node="coord"]').click();
  await page.locator('#nodemenu button[data-action="crash"]').click();
  await page.waitForSelector('#topology .node[data-node="coord"][data-state="crashed"]');
  await page.locator('#advance-to').fill('1.6s');
  await page.locator('#advance').click();
  await page.waitForFunction(() => document.querySelector('#vtime').textContent.startsWith('1600ms'));
  const doubtAfter = await page.locator('#topology .doubt').count();
  await page.waitForSelector('#topology .doubt');
  const doubt = await page.locator('#topology .doubt').allTextContents();
  await page.waitForSelector('#checks tr[data-check="twopc-blocking"]');
  const blocking = await page.locator('#checks tr[data-check="twopc-blocking"]').textContent();
  check(/blocked/.test(blocking), `twopc-blocking reports blocking: ${blocking}`);
  await page.locator('#topology .node[data-node="p0"]').click();
  await page.locator('#nodemenu button[data-action="inspect"]').click();
  await page.waitForFunction(() => document.querySelector('#insp-name').textContent.startsWith('p0'));
  await shot('04-coordinator-crashed');
  log(`coordinator crashed; in doubt: ${doubt.join(', ')}; ${blocking}`);
  out.blocking = blocking;
  out.doubt = doubt;

  // 5. Partition p0 and p1 from the others.
  await page.locator('#topology .node[data-node="p0"]').click({ modifiers: ['Shift'] });
  await page.locator('#topology .node[data-node="p1"]').click({ modifiers: ['Shift'] });
  await page.locator('#partition').click();
  await page.waitForSelector('#topology line.cut');
  const cut = await page.locator('#topology line.cut').count();
  check(cut === 4, `p0,p1 | coord,p2 cuts 4 links, saw ${cut}`);
  check(await page.locator('#topology line[data-link="p0-p1"].cut').count() === 0, 'p0-p1 stays connected');
  await page.locator('#advance-to').fill('+100ms');
  await page.locator('#advance').click();
  await page.waitForFunction(() => document.querySelector('#vtime').textContent.startsWith('1700ms'));
  check(doubtAfter > 0, 'participants stay in doubt while the coordinator is down');
  await shot('05-partitioned');
  const acts = await page.locator('#actions li').allTextContents();
  check(acts.length === 2 && /crash/.test(acts[0]) && /partition/.test(acts[1]), `actions ${acts}`);
  log(`partitioned p0,p1: ${cut} links cut`);

  // Hold the messages from p0 to p1, then release them.
  await page.locator('#hold').click();
  await page.waitForSelector('#topology line[data-link="p0-p1"].held');
  await shot('05b-held');
  await page.locator('#release').click();
  // (A link that carried no message is drawn only while a fault marks it.)
  await page.waitForFunction(() => !document.querySelector('#topology line[data-link="p0-p1"].held'));
  // The adversary taps p0→p1, replays one of its messages, and is sent away.
  await page.locator('#adv-tap').click();
  await page.waitForSelector('#topology line[data-link="p0-p1"].tapped');
  await shot('05c-tapped');
  await page.locator('#adv-replay').click();
  await page.locator('#adv-secure').click();
  await page.waitForFunction(() => !document.querySelector('#topology line[data-link="p0-p1"].tapped'));
  const advActs = await page.locator('#actions li').allTextContents();
  check(advActs.some((a) => /eavesdrop/.test(a)) && advActs.some((a) => /secure/.test(a)), `adversary actions listed: ${advActs}`);
  await page.locator('#clearsel').click();
  log('held and released p0→p1');

  // 6. Drag the time slider back to about a third, then act there: a fork.
  const slider = page.locator('#slider');
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width - 4, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.35, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#rewound:not([hidden])');
  const at = await page.locator('#slider-label').textContent();
  await page.waitForSelector('#topology .node[data-node="coord"][data-state="running"]');
  await shot('06-rewound');
  log(`slider dragged back: ${at}; coordinator running again`);
  await page.locator('#topology .node[data-node="p2"]').click();
  await page.locator('#nodemenu button[data-action="crash"]').click();
  await page.waitForFunction((id) => !document.querySelector('#run-id').textContent.includes(`run ${id} `), first);
  const forked = await runId();
  check(forked !== first, 'a fork has its own id');
  check((await page.locator('#run-id').textContent()).includes(`fork of ${first}`), 'the fork names its parent');
  await page.waitForSelector('#topology .node[data-node="p2"][data-state="crashed"]');
  // Pause a node and resume it.
  await page.locator('#topology .node[data-node="p1"]').click();
  await page.locator('#nodemenu button[data-action="pause"]').click();
  await page.waitForSelector('#topology .node[data-node="p1"][data-state="paused"]');
  await page.locator('#step10').click();
  await page.locator('#topology .node[data-node="p1"]').click();
  await page.locator('#nodemenu button[data-action="resume"]').click();
  await page.waitForSelector('#topology .node[data-node="p1"][data-state="running"]');
  await shot('07-forked');
  log(`forked ${forked} from ${first}`);

  // 7. Finish the fork and export it, with what was clicked.
  await page.locator('#finish').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });
  const digest = (await page.locator('#digest').textContent()).trim();
  check(/^[0-9a-f]{64}$/.test(digest), `digest shown: ${digest}`);
  await page.waitForSelector('#verdict');
  await page.locator('#export').click();
  await page.waitForSelector('#exportdlg[open]');
  const yaml = await page.locator('#export-text').textContent();
  check(yaml.includes('action: crash') && yaml.includes('before_event'), 'the export has the hand-applied faults');
  await shot('08-exported');
  await page.locator('#export-close').click();
  out.digest = digest;
  out.yaml = yaml;
  out.fork = forked;
  log(`finished with digest ${digest}`);

  // The runs list has both timelines; the parent opens from it.
  await page.waitForSelector(`#runs li[data-run="${first}"]`);
  await page.waitForSelector(`#runs li[data-run="${forked}"]`);
  check((await page.locator(`#runs li[data-run="${forked}"]`).textContent()).includes('fork of'), 'the list marks the fork');
  await page.locator(`#runs li[data-run="${first}"]`).click();
  await page.waitForFunction((id) => document.querySelector('#run-id').textContent.startsWith(`run ${id} `), first);
  await page.waitForSelector('#topology .node[data-node="coord"]');
  log(`opened ${first} again from the runs list`);

  // 8. The diagram frame is the run report's renderer.
  const frame = page.frameLocator('#lamport');
  await frame.locator('#title').waitFor();
  log('space-time diagram rendered');

  // 9. Upload bad modules: the errors are shown.
  await page.locator('#upload').setInputFiles({ name: 'notwasm.wasm', mimeType: 'application/wasm', buffer: Buffer.from('this is not wasm') });
  await page.waitForSelector('#upload-error:not([hidden])');
  const e1 = await page.locator('#upload-error').textContent();
  check(/400 malformed/.test(e1), `malformed upload error: ${e1}`);
  await page.locator('#upload').setInputFiles({ name: 'noexport.wasm', mimeType: 'application/wasm', buffer: readFileSync(badAbi) });
  await page.waitForFunction(() => /422 abi/.test(document.querySelector('#upload-error').textContent));
  const e2 = await page.locator('#upload-error').textContent();
  check(/missing export/.test(e2), `ABI upload error names the export: ${e2}`);
  await shot('09-bad-upload');
  log(`bad uploads: ${e1} | ${e2}`);

  // 10. Upload a module and run it from the editor, by its hash.
  await page.locator('#upload').setInputFiles({ name: 'echo.wasm', mimeType: 'application/wasm', buffer: readFileSync(goodWasm) });
  await page.waitForSelector('#modules li[title]');
  const sha = await page.locator('#modules li').filter({ hasText: 'echo.wasm' }).getAttribute('title');
  check(/^[0-9a-f]{64}$/.test(sha), `uploaded module listed: ${sha}`);
  await page.locator('#scenario').fill(`name: uploaded-echo
seed: 5
duration: 1s
modules:
  e: {sha256: ${sha}, roles: [server]}
nodes:
  - {name: n, count: 2, module: e, role: server}
workload: {type: echo, clients: 1, interval: 20ms, timeout: 200ms}
checks: [echo]
`);
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 60000 });
  const upRun = await runId();
  await page.waitForSelector('#topology .node[data-node="n1"]');
  // The charts are this run's: 1.2 s of virtual time in 100 ms buckets.
  await page.waitForFunction(() => Number(document.querySelector('#chart-tput').dataset.points) <= 13);
  check(await page.locator('#inspector').textContent() === 'click a node', 'the inspector forgot the last run');
  await shot('10-uploaded-module-run');
  log(`uploaded module ${sha.slice(0, 12)} ran as ${upRun}`);
  out.sha = sha;

  // 11. Replay this seed: a new run of the same scenario and seed, same digest.
  const d1 = (await page.locator('#digest').textContent()).trim();
  await page.locator('#replay').click();
  await page.waitForFunction((id) => !document.querySelector('#run-id').textContent.includes(`run ${id} `) && document.querySelector('#run-state').textContent === 'finished', upRun, { timeout: 60000 });
  const d2 = (await page.locator('#digest').textContent()).trim();
  check(d1 === d2 && (await page.locator('#run-id').textContent()).includes('seed 5'), `replay of seed 5 gives ${d2}, first gave ${d1}`);
  log(`replayed seed 5 to the same digest ${d2.slice(0, 12)}`);

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
