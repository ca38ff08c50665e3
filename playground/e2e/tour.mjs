// The guided tours in the playground (issue 18, part 2), on a fresh
// profile: the first visit opens the Two-Phase Commit tour, which is walked
// to its end (the happy path, a crash applied by its button, the limit
// beside its baseline with the differing figures highlighted, the broken
// variant with its violation pinned to its event); then Saga's tour from its
// card, with a fault pressed "now" while the run plays; the broken steps of
// the other tours, each pinned to its violation's event; for CQRS and the
// load balancer, whose checkers name their witness event, the pinned event
// is read back from the run's trace and a click on the violation seeks there
// again. Every step is shot at 1440×900 and 1024×768. Run by tour_test.go:
//   node tour.mjs URL SHOTS_DIR OUT_JSON
// ($TOUR_PARTS, comma-separated, plays only some parts: twopc, saga,
// brokenPins, witnessPins.)
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, outJSON] = process.argv.slice(2);
const out = { steps: [], figures: {} };
const log = (msg) => { out.steps.push(msg); console.log(`tour: ${msg}`); };

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
const errors = [];
// shot takes the page at both sizes, the panel in view.
const shot = async (name) => {
  for (const [w, h] of [[1024, 768], [1440, 900]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.locator('#tour').evaluate((el) => { if (!el.hidden) el.scrollIntoView({ block: 'start' }); });
    await page.screenshot({ path: join(shots, `tour-${name}-${w}.png`) });
  }
};
const panel = (sel) => page.locator(`#tour ${sel}`);
const stepIs = async (n, of, title) => {
  await page.waitForFunction(([k]) => document.body.dataset.tourStep === k, [String(n)]);
  check((await panel('.tour-count').textContent()) === `step ${n} of ${of}`, `the panel says step ${n} of ${of}`);
  check((await panel('.tour-step').textContent()).includes(title), `step ${n} is "${title}"`);
};
const finished = () => page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });
// finishedOrPinned waits for a broken step's run to end: the tour pins its
// violation and seeks the run back to it as soon as it finishes, so the
// run may be paused at the pinned event before a poll sees "finished".
const finishedOrPinned = () => page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished' || document.body.dataset.tourPinned, null, { timeout: 120000 });
// figures reads the panel's figure table: name -> [cells].
const figures = () => page.locator('#tour .tour-figures tr[data-figure]').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.dataset.figure, { cells: [...r.cells].slice(1).map((c) => c.textContent), differs: r.classList.contains('differs') }])));
const runStep = async () => {
  const before = await page.locator('#run-id').textContent();
  await panel('.tour-run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && document.querySelector('#run-id').textContent.startsWith('run '), before, { timeout: 120000 });
};
const next = async () => panel('.tour-next').click();

async function twopc() {
  // A fresh profile on the plain page: the Two-Phase Commit tour is open at
  // step 1, with its scenario in the editor.
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  check(await page.locator('#tour').isVisible(), 'the first visit opens the tour');
  check(await page.evaluate(() => document.body.dataset.tour) === 'twopc', 'it is the Two-Phase Commit tour');
  await stepIs(1, 4, 'The happy path');
  await page.waitForFunction(() => document.querySelector('#scn-title').textContent === 'twopc/scenario.yaml');
  await shot('01-first-visit');
  log('a first visit opens twopc\'s tour at step 1 of 4, scenario.yaml loaded');

  await page.locator('#speed').selectOption('0');
  await runStep();
  await finished();
  await page.waitForSelector('#tour .tour-figures tr[data-figure="txns"]');
  const f1 = await figures();
  check(f1.txns.cells[0] === '82' && f1.committed.cells[0] === '54', `the happy path's figures: ${JSON.stringify(f1)}`);
  check(await page.locator('#checks tr.tour-look[data-check="twopc-atomicity"]').count() === 1, 'the check to look at is highlighted');
  out.figures.happy = f1;
  await shot('02-happy-path');
  log(`step 1 ran: ${JSON.stringify(f1)}`);

  // Step 2: the run stops at 1001 ms and waits for the crash button.
  await next();
  await stepIs(2, 4, 'Crash the coordinator');
  await runStep();
  await page.waitForSelector('#tour .tour-act:not([disabled])', { timeout: 60000 });
  const paused = await page.locator('#vtime').textContent();
  check(/^100[12](\.\d)?ms/.test(paused) && (await page.locator('#run-state').textContent()) === 'paused', `paused at the action's time: ${paused}`);
  check((await panel('.tour-act').textContent()) === 'Crash coord now', 'the action button says what it does');
  await shot('03-crash-button');
  await panel('.tour-act').click();
  await page.waitForFunction(() => document.body.dataset.tourActed);
  await finished();
  await page.waitForSelector('#tour .tour-figures tr[data-figure="max_blocked_ms"]');
  const acts = await page.locator('#actions li').allTextContents();
  check(acts.some((a) => /"action":"crash".*"node":"coord"/.test(a)), `the crash is on the timeline: ${acts}`);
  const f2 = await figures();
  check(Number(f2.max_blocked_ms.cells[0]) > 900, `the longest block grows to about a second: ${JSON.stringify(f2)}`);
  out.figures.crash = f2;
  await shot('04-crash-applied');
  log(`step 2: crash coord applied at ${await page.evaluate(() => document.body.dataset.tourActed)} ns; ${JSON.stringify(f2)}`);

  // Step 3: limit.yaml beside scenario.yaml, the differing figures highlighted.
  await next();
  await stepIs(3, 4, 'The limitation');
  await runStep();
  await finishedOrPinned(); // this step pins an event too
  await page.waitForSelector('#tour .tour-figures.side tr.differs');
  const f3 = await figures();
  check(f3.max_blocked_ms.cells[0] === '310.2' && f3.max_blocked_ms.cells[1] === '1486.0' && f3.max_blocked_ms.differs, `max_blocked_ms side by side: ${JSON.stringify(f3.max_blocked_ms)}`);
  check(f3.total_blocked_ms.differs, 'total_blocked_ms differs');
  const heads = await page.locator('#tour .tour-figures tr:first-child td').allTextContents();
  check(heads[1] === 'scenario.yaml' && heads[2] === 'limit.yaml', `two result columns: ${heads}`);
  const bg = await page.locator('#tour .tour-figures tr.differs td').first().evaluate((td) => getComputedStyle(td).backgroundColor);
  check(bg !== 'rgba(0, 0, 0, 0)', `a differing figure is highlighted: ${bg}`);
  // and the recovered decision is pinned: the run seeks to it
  await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 30000 });
  out.figures.limit = f3;
  await shot('05-limit-beside-baseline');
  log(`step 3: ${Object.entries(f3).filter(([, v]) => v.differs).map(([k, v]) => `${k} ${v.cells.join(' → ')}`).join('; ')}; pinned to event ${await page.evaluate(() => document.body.dataset.tourPinned)}`);

  // Step 4: broken.yaml; its first violation pinned to its event.
  await next();
  await stepIs(4, 4, 'Broken');
  await runStep();
  await finishedOrPinned();
  await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 60000 });
  const seq = await page.evaluate(() => document.body.dataset.tourPinned);
  const pinned = await panel('.tour-pinned').textContent();
  check(/txn c\d-\d+: coordinator decided commit/.test(pinned), `the violation is named: ${pinned}`);
  await page.waitForFunction((s) => document.querySelector('#lamport').src.includes(`seq=${s}`) || document.querySelector('#lamport').src.includes(`%23${s}`), seq, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('#rewound') && !document.querySelector('#rewound').hidden);
  const src = await page.locator('#lamport').getAttribute('src');
  check(src.includes(`#%23${seq}`), `the diagram opens at the pinned event: ${src}`);
  await page.waitForFunction(() => { const f = document.querySelector('#lamport'); return f.contentDocument && f.contentDocument.querySelector('#title'); }, null, { timeout: 30000 });
  await shot('06-broken-pinned');
  log(`step 4: "${pinned}"; diagram ${src.replace(/^.*lamport/, 'lamport')}`);

  // The last step closes the tour; a reload does not reopen it; the header's
  // button does.
  check((await panel('.tour-next').textContent()) === 'Finish tour', 'the last step finishes the tour');
  await next();
  check(await page.locator('#tour').isHidden(), 'finishing closes the panel');
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  check(await page.locator('#tour').isHidden(), 'a second visit does not open the tour');
  await page.locator('#tour-open').click();
  await stepIs(1, 4, 'The happy path');
  await panel('.tour-close').click();
  check(await page.locator('#tour').isHidden(), 'the tour closes');
  log('finish closes it; a reload keeps it closed; the header button reopens it');
}

async function saga() {
  // Saga's tour, from its card: the crash is pressed while the run plays.
  await page.locator('.pattern[data-pattern="saga"] .take-tour').click();
  await stepIs(1, 5, 'The happy path');
  await page.waitForFunction(() => document.querySelector('#scn-title').textContent === 'saga/scenario.yaml');
  // The page's own Run button runs the step too: the panel follows it.
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await finished();
  await page.waitForSelector('#tour .tour-figures tr[data-figure="sagas"]');
  const f1 = await figures();
  check(f1.sagas.cells[0] === '30' && f1.committed.cells[0] === '15', `saga's happy path, run with the page's Run: ${JSON.stringify(f1)}`);
  log(`saga step 1, run with the page's Run button: ${JSON.stringify(f1)}`);
  await next();
  await stepIs(2, 5, 'Crash the orchestrator');
  await page.locator('#speed').selectOption('0.2');
  await runStep();
  await page.waitForSelector('#tour .tour-act:not([disabled])', { timeout: 30000 });
  await panel('.tour-act').click();
  await page.waitForFunction(() => document.body.dataset.tourActed);
  await page.locator('#speed').selectOption('0');
  await finished();
  await page.waitForSelector('#tour .tour-figures tr[data-figure="sagas"]');
  const acts = await page.locator('#actions li').allTextContents();
  check(acts.some((a) => /"action":"crash".*"node":"orchestrator"/.test(a)), `the crash is on the timeline: ${acts}`);
  await shot('07-saga-crash-now');
  log(`saga step 2: crashed the orchestrator at ${await page.evaluate(() => document.body.dataset.tourActed)} ns`);

  await next();
  await next();
  await stepIs(4, 5, 'The limitation');
  await runStep();
  await finished();
  await page.waitForSelector('#tour .tour-figures.side tr.differs');
  const f = await figures();
  check(f.reads.cells[0] === '22' && f.reads.cells[1] === '199' && f.intermediate_reads.differs, `saga-isolation side by side: ${JSON.stringify(f)}`);
  out.figures.sagaLimit = f;
  await shot('08-saga-limit');
  log(`saga step 4: ${Object.entries(f).filter(([, v]) => v.differs).map(([k, v]) => `${k} ${v.cells.join(' → ')}`).join('; ')}`);

  await next();
  await stepIs(5, 5, 'Broken');
  await runStep();
  await finishedOrPinned();
  await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 60000 });
  const pinned = await panel('.tour-pinned').textContent();
  check(/saga s15, step inventory/.test(pinned), `saga's violation pinned: ${pinned}`);
  await shot('09-saga-broken-pinned');
  log(`saga step 5: ${pinned}`);
}

// brokenPins plays the broken step of four more tours: each pins its
// violation to the event the violation names (an object with a key and a
// time for sharding; "acted on REQ" for the security patterns).
async function brokenPins() {
  await page.locator('#speed').selectOption('0');
  for (const [name, want] of [['sharding', /"key":"k008"/], ['gatekeeper', /acted on evil-direct-1 /], ['valet', /acted on c3-1 /], ['fedid', /acted on c1-3 twice/]]) {
    await page.locator(`.pattern[data-pattern="${name}"] .take-tour`).click();
    await page.waitForFunction(() => document.body.dataset.tourStep === '1');
    for (let i = 0; i < 8 && !(await panel('.tour-step').textContent()).includes('Broken'); i++) {
      const n = await page.evaluate(() => document.body.dataset.tourStep);
      await next();
      await page.waitForFunction((k) => document.body.dataset.tourStep !== k, n);
    }
    await runStep();
    await finishedOrPinned();
    await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 60000 });
    const pinned = await panel('.tour-pinned').textContent();
    check(want.test(pinned), `${name}'s violation pinned: ${pinned}`);
    await shot(`10-${name}-broken-pinned`);
    log(`${name}: ${pinned}`);
  }
}

// toBroken opens name's tour from its card and walks to its Broken step.
async function toBroken(name) {
  await page.locator(`.pattern[data-pattern="${name}"] .take-tour`).click();
  await page.waitForFunction((n) => document.body.dataset.tour === n && document.body.dataset.tourStep === '1', name);
  for (let i = 0; i < 8 && !(await panel('.tour-step').textContent()).includes('Broken'); i++) {
    const n = await page.evaluate(() => document.body.dataset.tourStep);
    await next();
    await page.waitForFunction((k) => document.body.dataset.tourStep !== k, n);
  }
  check((await panel('.tour-step').textContent()).includes('Broken'), `${name}'s tour has a Broken step`);
}

// atEvent waits until the page is at event seq: a seek stops at the end of
// the step that ran it (the slider's label says that step's last event, at
// the same time), and the diagram opens at seq itself.
async function atEvent(seq, t) {
  await page.waitForFunction(([s, ms]) => {
    const m = /^event (\d+) \//.exec(document.querySelector('#slider-label').textContent);
    return m && Number(m[1]) >= s && document.querySelector('#vtime').textContent.startsWith(ms) &&
      document.querySelector('#lamport').src.includes(`#%23${s}`) && !document.querySelector('#rewound').hidden;
  }, [seq, fmtT(t)], { timeout: 30000 });
  return page.locator('#slider-label').textContent();
}
const fmtT = (ns) => (ns / 1e6).toFixed(ns < 1e9 ? 1 : 0) + 'ms'; // as the page writes it

// witnessPins plays the broken step of the tours whose checker names its
// witness, the trace event at which the violation shows (check.Witness,
// {seq, t, at, what}, in details.violations): the step pins the run to that
// event, which is the one the checker means (read back from the run's
// trace); then, from elsewhere in the run, clicking the violation seeks
// there again.
async function witnessPins() {
  await page.locator('#speed').selectOption('0');
  const cases = [
    { name: 'cqrs', check: 'cqrs-projection', want: /q0 applied cmd0#\d+ \(c[\d-]+, account a0 [+-]\d+\) again, 2 times in all/, label: 'project', is: (d) => d.node === 'q0' && d.account === 'a0' },
    { name: 'rlbs', check: 'rlbs-availability', want: /lb routed request c[\d-]+ to r2, down for [\d.]+ms \(more than 300ms\)/, label: 'route', is: (d) => d.replica === 'r2' },
  ];
  for (const c of cases) {
    await toBroken(c.name);
    await runStep();
    await finishedOrPinned();
    await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 60000 });
    const seq = Number(await page.evaluate(() => document.body.dataset.tourPinned));
    const pinned = await panel('.tour-pinned').textContent();
    check(pinned.startsWith(`Pinned to event ${seq} `) && c.want.test(pinned), `${c.name}'s violation pinned to its witness: ${pinned}`);
    // The event pinned is the witness: the run's trace at seq (a page's
    // from counts lines, so read a few around it).
    const id = /^run (\S+)/.exec(await page.locator('#run-id').textContent())[1];
    const ev = await page.evaluate(async ([i, s]) => (await (await fetch(`/api/v1/runs/${i}/trace?from=${Math.max(s - 2, 0)}&n=5`)).json()).events.find((e) => e.seq === s), [id, seq]);
    check(ev.seq === seq && ev.kind === 'emit' && ev.label === c.label && c.is(ev.data), `event ${seq} is the witness: ${JSON.stringify(ev)}`);
    check(pinned.includes(`(t=${(ev.t / 1e6).toFixed(1)} ms)`), `the panel says the witness's time: ${pinned}`);
    const pos = await atEvent(seq, ev.t);
    await shot(`11-${c.name}-witness-pinned`);
    // The rewound run shows its checks so far; finished again, its
    // violation is a link to the witness, and a click seeks back there.
    await page.locator('#finish').click();
    await finished();
    const link = page.locator(`#checks tr[data-check="${c.check}"] a.violation`).first();
    await link.waitFor({ timeout: 30000 });
    check(await link.getAttribute('data-seq') === String(seq), `the check's first violation links to event ${seq}: ${await link.getAttribute('data-seq')}`);
    check(c.want.test(await link.textContent()), `the link reads what the witness shows: ${await link.textContent()}`);
    check(!(await page.locator('#slider-label').textContent()).startsWith(pos), 'finished, the page is no longer at the witness');
    await link.click();
    const again = await atEvent(seq, ev.t);
    check(again === pos, `the click seeks where the tour pinned: ${again} vs ${pos}`);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.screenshot({ path: join(shots, `tour-12-${c.name}-violation-clicked-1440.png`) });
    out.witness = { ...(out.witness || {}), [c.name]: { seq, t: ev.t, position: pos, label: ev.label, data: ev.data } };
    log(`${c.name}: ${pinned}; the page at ${pos}; a click on the violation of the finished run seeks there again`);
  }
}

// playAll plays each named tour through, every step from its own button:
// a timed fault is pressed where the run pauses, a "now" one while it
// plays; each step ends with its check's verdict and every figure it
// quotes present in its run, a limitation beside its baseline, a violation or event
// pinned; "Finish tour" closes it. One shot per step at 1440×900.
async function playAll(names) {
  const tours = Object.fromEntries((await page.evaluate(async () => (await (await fetch('/api/v1/patterns')).json()).patterns)).map((p) => [p.name, p.tour]));
  for (const name of names) {
    const tour = tours[name];
    check(tour && tour.steps.length >= 3, `${name} has a tour`);
    await page.locator(`.pattern[data-pattern="${name}"] .take-tour`).click();
    await page.waitForFunction((n) => document.body.dataset.tour === n, name);
    for (const [i, s] of tour.steps.entries()) {
      await stepIs(i + 1, tour.steps.length, s.title);
      await page.waitForFunction((f) => document.querySelector('#scn-title').textContent.endsWith(`/${f}`), s.scenario);
      await page.locator('#speed').selectOption(s.action && s.action.now ? '0.2' : '0');
      await runStep();
      if (s.action) {
        await page.waitForSelector('#tour .tour-act:not([disabled])', { timeout: 60000 });
        await panel('.tour-act').click();
        await page.waitForFunction(() => document.body.dataset.tourActed);
        await page.locator('#speed').selectOption('0');
      }
      await (s.look.violation || s.look.event ? finishedOrPinned() : finished());
      await page.waitForSelector('#tour .tour-figures');
      if (s.baseline) await page.waitForSelector('#tour .tour-figures.side');
      const f = await figures();
      for (const name of s.look.figures || []) {
        // (a baseline may lack one: rlbs's has no round-robin balancer)
        check(f[name] && f[name].cells[f[name].cells.length - 1] !== '—', `${tour.title} step ${i + 1}: figure ${name} is there: ${JSON.stringify(f[name])}`);
      }
      const verdict = await page.locator('#tour .tour-figures tr:nth-child(2) td.this').textContent();
      check(s.look.violation ? verdict === 'invalid' : verdict !== 'unknown', `${tour.title} step ${i + 1}: ${s.look.check} is ${verdict}`);
      let pinned = '';
      if (s.look.violation || s.look.event) {
        await page.waitForFunction(() => document.body.dataset.tourPinned, null, { timeout: 60000 });
        pinned = await panel('.tour-pinned').textContent();
        const seq = Number(await page.evaluate(() => document.body.dataset.tourPinned));
        const t = Number(/\(t=([\d.]+) ms\)/.exec(pinned)[1]) * 1e6;
        pinned += `; the page at ${await atEvent(seq, t)}`;
      }
      if (s.action) {
        const acts = await page.locator('#actions li').allTextContents();
        check(acts.some((a) => a.includes(`"action":"${s.action.fault.action}"`)), `${tour.title} step ${i + 1}: the fault is on the timeline: ${acts}`);
      }
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.locator('#tour').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: join(shots, `tour-13-${name}-step${i + 1}-1440.png`) });
      log(`${name} step ${i + 1} "${s.title}": ${s.look.check} ${verdict}; ${Object.entries(f).map(([k, v]) => `${k} ${v.cells.join(' → ')}`).join('; ')}${pinned ? `; ${pinned}` : ''}`);
      await next();
    }
    await page.waitForFunction(() => !document.body.dataset.tour);
    check(await page.locator('#tour').isHidden(), `${name}: finishing closes the tour`);
  }
}

// TOUR_PARTS picks the parts to play (comma-separated; all by default).
const parts = (process.env.TOUR_PARTS || 'twopc,saga,brokenPins,witnessPins').split(',');
// TOUR_ALL, comma-separated, plays those tours through (playAll).
const playThrough = (process.env.TOUR_ALL || '').split(',').filter(Boolean);

try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  if (parts.includes('twopc')) await twopc();
  else {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]');
  }
  if (parts.includes('saga')) await saga();
  if (parts.includes('brokenPins')) await brokenPins();
  if (parts.includes('witnessPins')) await witnessPins();
  if (playThrough.length) await playAll(playThrough);
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'tour-failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
