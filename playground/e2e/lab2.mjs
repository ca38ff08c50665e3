// The playground as a lab, parts 4 and 5 (issue 18): step by message and
// links that replay. Run by lab2_test.go:
//   node lab2.mjs URL SHOTS_DIR PINGER_WASM OUT_JSON
// PINGER_WASM is a module whose nodes ping each other on a constant-latency
// network, so that several messages are due at one instant.
import { chromium } from 'playwright-core';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, shots, pingerWasm, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`lab2: ${msg}`); };

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
const errors = [];
// shot takes the page once a stopped run's charts are drawn
// (body[data-drawn="1"]: they are drawn a moment after its events come).
const shot = async (name) => {
  await page.waitForFunction(() => {
    const s = document.querySelector('#run-state').textContent;
    return s === '-' || s === 'running' || document.body.dataset.drawn === '1';
  }, null, { timeout: 15000 });
  return page.screenshot({ path: join(shots, `lab2-${name}.png`) });
};
const runId = async () => (await page.locator('#run-id').textContent()).split(' ')[1];
const api = async (method, path, body) => page.evaluate(async ([m, p, b]) => {
  const res = await fetch(`/api/v1${p}`, { method: m, headers: { 'Content-Type': 'application/json' }, body: b ? JSON.stringify(b) : undefined });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}, [method, path, body]);
const open = async (u) => {
  await page.goto(u);
  await page.waitForSelector('body[data-ready="1"]');
};
const finished = () => page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 60000 });

// upload puts the pinger module on the server through the page and
// returns its digest.
async function upload() {
  await page.locator('#upload').setInputFiles(pingerWasm);
  await page.waitForFunction(() => /uploaded pinger\.wasm: ([0-9a-f]{12})/.test(document.querySelector('#flash').textContent));
  const { body } = await api('GET', '/modules');
  const m = body.modules.find((x) => x.name === 'pinger.wasm');
  check(m, 'the upload is listed');
  return m.sha256;
}

const pingers = (sha) => `name: pingers
seed: 3
duration: 30ms
modules:
  p: {sha256: ${sha}, roles: [server]}
nodes:
  - {name: n, count: 3, module: p, role: server}
`;

// startPaused writes text into the editor and starts it paused.
async function startPaused(text) {
  await page.locator('#scenario').fill(text);
  await page.locator('#start-paused').check();
  const before = await page.locator('#run-id').textContent();
  await page.locator('#run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && document.querySelector('#run-id').textContent.startsWith('run '), before);
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'paused');
  return runId();
}

// stepToChoice presses Step until the next-event panel offers two
// messages or more to pick from.
async function stepToChoice() {
  for (let i = 0; i < 200; i++) {
    const picks = await page.locator('#next-due button.pick.deliver:enabled').count();
    if (picks >= 2) return picks;
    const seq = await page.locator('#slider-label').textContent();
    await page.locator('#step').click();
    await page.waitForFunction((s) => document.querySelector('#slider-label').textContent !== s, seq);
    await page.waitForFunction(() => !document.querySelector('#next').classList.contains('muted') || document.querySelector('#run-state').textContent !== 'paused');
  }
  throw new Error('no instant with two messages due in 200 steps');
}

async function stepByMessage() {
  await open(url);
  const sha = await upload();
  const id = await startPaused(pingers(sha));
  await stepToChoice();
  const buttons = page.locator('#next-due button.pick');
  const n = await buttons.count();
  const label = await buttons.nth(n - 1).textContent();
  check(/^deliver n\d→n\d #\d+$/.test(label), `the last due event is a message: ${label}`);
  await shot('s1-next-listed');
  // Pick the last: it is delivered first, and recorded.
  const seqBefore = (await api('GET', `/runs/${id}`)).body.seq;
  await buttons.nth(n - 1).click();
  await page.waitForFunction(() => /picked by hand/.test(document.querySelector('#actions').textContent));
  const run = (await api('GET', `/runs/${id}`)).body;
  check(run.seq > seqBefore, 'the pick ran an event');
  const decision = run.actions[0].decision;
  check(/^order \d+ \d+$/.test(decision), `the pick is a schedule decision: ${decision}`);
  const { body: tail } = await api('GET', `/runs/${id}/trace?from=${seqBefore}&n=20`);
  const evs = tail.events || tail;
  const delivered = evs.find((e) => e.kind === 'deliver');
  check(delivered && label.endsWith(`#${delivered.msg}`), `the event delivered is the one picked (${label}): ${JSON.stringify(delivered)}`);
  await shot('s2-picked');
  log(`picked "${label}" among ${n}: ${decision}`);

  // Finish; the export carries the decision and replays to the digest.
  await page.locator('#finish').click();
  await finished();
  const digest = await page.locator('#digest').textContent();
  await page.locator('#export').click();
  await page.waitForFunction(() => document.querySelector('#exportdlg').open);
  const text = await page.locator('#export-text').textContent();
  check(text.includes(decision), `the export's schedule: holds ${decision}`);
  await shot('s3-export');
  await page.locator('#export-close').click();
  const again = await api('POST', '/runs', { scenario: text, start: false });
  check(again.status === 201, `the export starts a run: ${JSON.stringify(again.body)}`);
  const fin = await api('POST', `/runs/${again.body.id}/control`, { action: 'finish' });
  check(fin.body.digest === digest, `the export replays to the page's digest: ${fin.body.digest} vs ${digest}`);
  log(`export replays the pick to ${digest.slice(0, 12)}`);
  out.stepRun = id;
}

// digestAt is a run's digest and position, from the API.
const digestAt = async (id) => {
  const { body } = await api('GET', `/runs/${id}`);
  return { seq: body.seq, digest: body.digest, steps: body.steps };
};

async function links() {
  await open(url);
  const sha = await upload();
  const id = await startPaused(pingers(sha));
  await stepToChoice();
  await page.locator('#next-due button.pick').nth(2).click();
  await page.waitForFunction(() => /picked by hand/.test(document.querySelector('#actions').textContent));
  for (let i = 0; i < 5; i++) {
    const seq = await page.locator('#slider-label').textContent();
    await page.locator('#step').click();
    await page.waitForFunction((s) => document.querySelector('#slider-label').textContent !== s, seq);
  }
  const at = await digestAt(id);
  check(at.digest, 'a paused run has a digest');

  // The permanent link: the editor, the modules by digest, the position.
  await page.locator('#share').click();
  await page.waitForFunction(() => document.querySelector('#sharedlg').open && document.querySelector('#share-link').value.includes('#share='));
  const link = await page.locator('#share-link').inputValue();
  check(link.endsWith(`&seq=${at.seq}`), `the link opens at event ${at.seq}: ${link.slice(-20)}`);
  await shot('l1-link');
  await page.locator('#share-close').click();
  await open(link);
  await page.waitForFunction(() => document.querySelector('#run-id').textContent.startsWith('run '));
  const linked = await runId();
  check(linked !== id, 'the link opens a new run');
  const there = await digestAt(linked);
  check(there.seq === at.seq && there.steps === at.steps && there.digest === at.digest, `the link's run is the run at event ${at.seq}: ${JSON.stringify(there)} vs ${JSON.stringify(at)}`);
  const text = await page.locator('#scenario').inputValue();
  check(text.includes(`sha256: ${sha}`) && /order \d+ 2/.test(text), 'the editor holds the scenario with its module by digest and the pick');
  check(await page.locator('#scn-title').textContent() === 'shared link', 'the editor says where its text came from');
  check(await page.locator('#slider-label').textContent() === `event ${at.seq} / ${at.seq}`, 'the slider is at the position');
  await shot('l2-link-opened');
  log(`link (${link.length} chars) opened run ${linked} at event ${at.seq}, digest ${at.digest.slice(0, 12)}`);

  // The zip bundle: exported from the page, imported from the page.
  const zipB64 = await page.evaluate(async (rid) => {
    const b = new Uint8Array(await (await fetch(`/api/v1/runs/${rid}/export?format=zip`)).arrayBuffer());
    let s = '';
    for (const c of b) s += String.fromCharCode(c);
    return btoa(s);
  }, id);
  const zipFile = join(mkdtempSync(join(tmpdir(), 'lab2-')), `${id}.zip`);
  writeFileSync(zipFile, Buffer.from(zipB64, 'base64'));
  check(await page.locator('#export-zip').count() === 1, 'the export dialog offers the zip');
  await page.locator('#import').setInputFiles(zipFile);
  await page.waitForFunction(() => /^imported /.test(document.querySelector('#flash').textContent));
  const imported = await runId();
  const bz = await digestAt(imported);
  check(bz.seq === at.seq && bz.digest === at.digest, `the imported bundle opens the run at event ${at.seq}: ${JSON.stringify(bz)}`);
  check((await page.locator('#scn-title').textContent()).startsWith('imported '), 'the editor says the text was imported');
  await shot('l3-zip-imported');
  log(`zip bundle imported as run ${imported} at event ${bz.seq}`);
}

// uploadHint: after an upload the page says what to do next and offers
// a button that puts the module in the editor: a whole scenario when the
// editor is empty (it runs as it is), else a modules: entry and a nodes:
// line under the scenario's own (it flashed "uploaded X: <sha>" only).
async function uploadHint() {
  await open(url);
  await page.locator('#scenario').fill('');
  const sha = await upload();
  await page.waitForSelector('#upload-next:not([hidden])', { timeout: 10000 });
  const hint = await page.locator('#upload-next-msg').textContent();
  check(hint.includes(sha.slice(0, 12)) && /editor/.test(hint), `the hint names the module and the editor: ${hint}`);
  const bar = await page.locator('#run-id').textContent();
  check(!/twopc/.test(bar), `the run bar names no gallery file beside an emptied editor: ${bar}`);
  await shot('u1-upload-hint-empty');
  await page.locator('#upload-use').click();
  const text = await page.locator('#scenario').inputValue();
  check(text.includes(`sha256: ${sha}`) && /^nodes:/m.test(text) && /^name: /m.test(text), `the empty editor gets a scenario of the module: ${text}`);
  check(await page.locator('#upload-next').isHidden(), 'the hint goes once used');
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await finished();
  check(await page.locator('#problems li').count() === 0, 'the skeleton runs without problems');
  // Its charts are empty (no workload): a note says why.
  await page.waitForFunction(() => document.body.dataset.drawn === '1');
  check(await page.locator('#charts-note').isVisible(), 'empty charts say the run had no client operations');
  log(`upload hint: "${hint}" -> a scenario that runs`);

  // A scenario in the editor: the module joins its modules and nodes.
  await page.locator('#scenario').fill(pingers(sha).replace(/p: \{sha256: [0-9a-f]+/, 'p: {sha256: 0000'));
  await upload();
  await page.waitForSelector('#upload-next:not([hidden])', { timeout: 10000 });
  await page.locator('#upload-use').click();
  const edited = await page.locator('#scenario').inputValue();
  const lines = edited.split('\n');
  const mi = lines.findIndex((l) => l.includes(`sha256: ${sha}`));
  const ni = lines.findIndex((l, i) => i > lines.indexOf('nodes:') && l.includes(`module: mod_${sha.slice(0, 6)}`));
  check(mi > lines.indexOf('modules:') && mi < lines.indexOf('nodes:') && ni > 0, `the module is in modules: and a node of it in nodes: ${edited}`);
  await shot('u2-upload-inserted');
  log('upload into a scenario: a modules: entry and a nodes: line');

  // Sections as yaml.Marshal writes them (an export, a link, a shrunk
  // scenario: four spaces, a block list): the entries join at the
  // sections' own indentation, the scenario still runs, and a second
  // "use" adds nothing twice. (Two spaces in front of them made YAML
  // the parser refused.)
  const six = sha.slice(0, 6);
  await page.locator('#scenario').fill(`name: four\nseed: 1\nduration: 10ms\nmodules:\n    p:\n        sha256: ${sha}\n        roles: [server]\nnodes:\n    - name: n\n      count: 2\n      module: p\n      role: server\n`);
  await upload();
  await page.waitForSelector('#upload-next:not([hidden])', { timeout: 10000 });
  await page.locator('#upload-use').click();
  await page.locator(`#modules li[title="${sha}"] button`).click();
  const four = await page.locator('#scenario').inputValue();
  const count = (t, s) => t.split(s).length - 1;
  check(count(four, `    mod_${six}: {sha256: ${sha}`) === 1 && count(four, `    - {name: u${six}, count: 1`) === 1, `entries once each, at the sections' indentation: ${four}`);
  await page.locator('#start-paused').uncheck();
  const before = await page.locator('#run-id').textContent();
  await page.locator('#run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && document.querySelector('#run-id').textContent.startsWith('run '), before);
  await finished();
  check(await page.locator('#problems li').count() === 0, 'the four-space scenario with the module added runs without problems');
  check(await page.locator('#topology g.node').count() === 3, 'its two nodes and the added one run');
  // Flow style cannot take a line: the editor is left as it was and the
  // flash says what to write.
  const flow = pingers(sha).replace('modules:\n  p: ', 'modules: {p: ').replace('roles: [server]}\n', 'roles: [server]}}\n');
  await page.locator('#scenario').fill(flow);
  await page.locator(`#modules li[title="${sha}"] button`).click();
  check(await page.locator('#scenario').inputValue() === flow, 'a flow-style modules: is left as it was');
  const said = await page.locator('#flash').textContent();
  check(said.includes(`mod_${six}: {sha256: ${sha}`) && /add it yourself/.test(said), `the flash says what to add: ${said}`);
  log('four-space sections take the entries at their indentation and run; flow style is left alone with what to add');
}

// diagramFollows: the embedded space-time diagram opens at the run's
// event after a Step and a seek (it reloaded at rows 1-14 however far
// the run had gone, so a Step's event was off its view); and a seek
// flashes no "live stream lagged" note (nothing was skipped).
async function diagramFollows() {
  await open(url);
  await page.evaluate(() => {
    window.flashes = [];
    new MutationObserver(() => window.flashes.push(document.querySelector('#flash').textContent))
      .observe(document.querySelector('#flash'), { childList: true, characterData: true, subtree: true });
  });
  const sha = await upload();
  await startPaused(pingers(sha));
  await page.locator('#advance-to').fill('5ms');
  await page.locator('#advance').click();
  await page.waitForFunction(() => Number((/event (\d+)/.exec(document.querySelector('#slider-label').textContent) || [0, 0])[1]) > 40);
  // rows a-b of the diagram frame, once it is drawn at event seq.
  const shows = (seq) => page.waitForFunction((n) => {
    const f = document.querySelector('#lamport');
    if (!f.src.includes(`seq=${n}`) || !f.contentDocument) return false;
    const m = /rows (\d+)–(\d+) of (\d+)/.exec(f.contentDocument.querySelector('#status')?.textContent || '');
    return m && Number(m[3]) === n && Number(m[1]) <= n && n <= Number(m[2]);
  }, seq, { timeout: 15000 });
  for (let i = 0; i < 2; i++) {
    const label = await page.locator('#slider-label').textContent();
    await page.locator('#step').click();
    await page.waitForFunction((s) => document.querySelector('#slider-label').textContent !== s, label);
    const seq = Number(/event (\d+)/.exec(await page.locator('#slider-label').textContent())[1]);
    await shows(seq);
    log(`step to event ${seq}: the diagram shows it`);
  }
  await shot('d1-diagram-follows-step');
  await page.locator('#finish').click();
  await finished();
  const max = Number(await page.locator('#slider').getAttribute('max'));
  await page.locator('#slider').fill(String(Math.floor(max / 2)));
  await page.waitForFunction(() => !document.querySelector('#rewound').hidden && document.querySelector('#run-state').textContent === 'paused');
  const at = Number(/event (\d+)/.exec(await page.locator('#slider-label').textContent())[1]);
  await shows(at);
  await page.waitForFunction((n) => Number(document.body.dataset.seen) >= n, at);
  await page.locator('#resume').click();
  await finished();
  await page.waitForFunction(() => document.body.dataset.drawn === '1', null, { timeout: 15000 });
  const noise = await page.evaluate(() => window.flashes.filter((f) => /lagged|skipped/.test(f)));
  check(noise.length === 0, `no lagged note after a seek and resume: ${noise.join('; ')}`);
  await shot('d2-diagram-follows-seek');
  log(`seek to event ${at}: the diagram shows it, no lagged note`);
}

// streamNotes: the stream note comes when events really are skipped: a
// stream (played here by the test) that says it lagged but leaves out no
// event makes no note (the page flashed "live stream lagged by N events"
// whenever the server caught it up); one that leaves out events 4-6
// names them.
async function streamNotes() {
  await open(url);
  const id = await startPaused(pingers(await upload()));
  await page.locator('#finish').click();
  await finished();
  const { body } = await api('GET', `/runs/${id}/trace?from=0&n=8`);
  const evs = body.events;
  const sse = (ev, d) => `event: ${ev}\ndata: ${JSON.stringify(d)}\n\n`;
  await page.route(`**/api/v1/runs/${id}/events?from=0`, (route) => route.fulfill({
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' },
    body: sse('lagged', { dropped: 3, resume: 3 }) + sse('trace', evs.slice(0, 3)) + sse('trace', evs.slice(6, 8)),
  }));
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const f = document.querySelector('#flash');
    if (!f) return; // a diagram frame
    window.flashes = [];
    new MutationObserver(() => window.flashes.push(f.textContent)).observe(f, { childList: true, characterData: true, subtree: true });
  }));
  await open(`${url}runs/${id}`);
  await page.waitForFunction(() => window.flashes.some((f) => /skipped/.test(f)), null, { timeout: 15000 });
  const notes = await page.evaluate(() => window.flashes.filter((f) => /lagged|skipped/.test(f)));
  check(notes.length === 1 && /skipped events 4–6/.test(notes[0]), `only the events really skipped make a note: ${notes.join('; ')}`);
  await page.unroute(`**/api/v1/runs/${id}/events?from=0`);
  log(`a stream that leaves out events 4-6: "${notes[0]}"`);
}

// tourEdited: a run of a tour step's file that was edited first is not
// taken for the step's run (the step's text and its "look at" figures,
// 82 transactions, sat beside a run of another scenario, 62).
async function tourEdited() {
  await open(url);
  // The page has loaded twopc/scenario.yaml already; the tour loads it
  // again: edit it only once that load is in the editor, or the load
  // overwrites the edit.
  const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/patterns/twopc'));
  await page.locator('#tour-open').click();
  const file = (await (await loaded).json()).contents['scenario.yaml'];
  await page.waitForSelector('#tour:not([hidden]) .tour-status');
  await page.waitForFunction((t) => document.querySelector('#scenario').value === t && document.querySelector('#scn-title').textContent === 'twopc/scenario.yaml', file);
  const text = await page.locator('#scenario').inputValue();
  check(text.includes('{name: p, count: 3,'), 'twopc/scenario.yaml has three participants');
  await page.locator('#scenario').fill(text.replace('{name: p, count: 3,', '{name: p, count: 4,'));
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  const before = await page.locator('#run-id').textContent();
  await page.locator('#run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && document.querySelector('#run-id').textContent.startsWith('run '), before);
  await finished();
  await page.waitForFunction(() => document.body.dataset.drawn === '1');
  const status = await page.locator('#tour .tour-status').textContent();
  const look = await page.locator('#tour .tour-look').textContent();
  check(!/finished/.test(status) && look.trim() === '', `the tour does not take the edited run for its step: "${status}" ${look.slice(0, 80)}`);
  await shot('t3-tour-edited-run');
  await page.locator('#tour .tour-close').click();
  log(`tour beside an edited run: "${status}"`);
}

// The topology draws the links that carry traffic, and 64 nodes (the
// server's default cap) on a grid, none overlapping.
async function topology() {
  await open(url);
  const sha = await upload();
  await page.locator('#scenario').fill(pingers(sha).replace('count: 3', 'count: 64').replace('duration: 30ms', 'duration: 3ms')
    + 'limits: {memory_pages: 16, store_bytes: 65536, fs_bytes: 65536, in_flight_bytes: 65536, log_bytes_per_run: 65536}\n');
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await finished();
  await page.waitForFunction(() => document.querySelectorAll('#topology .node').length === 64);
  await page.waitForFunction(() => document.querySelector('#topology line[data-link="n0-n50"]'));
  const lines = await page.locator('#topology line').count();
  // Every node pings n0, n1 and n2: about 3 × 64 links, not 2,016.
  check(lines > 150 && lines < 200, `the links that carried messages are drawn, not a complete graph: ${lines}`);
  check(await page.locator('#topology line[data-link="n10-n11"]').count() === 0, 'n10 and n11 never talked: no link');
  const boxes = await page.locator('#topology .node circle').evaluateAll((cs) => cs.map((c) => { const r = c.getBoundingClientRect(); return [r.x, r.y, r.width]; }));
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (Math.hypot(boxes[i][0] - boxes[j][0], boxes[i][1] - boxes[j][1]) < boxes[i][2]) overlaps++;
    }
  }
  check(overlaps === 0, `no two of the 64 nodes overlap: ${overlaps}`);
  await page.locator('#topology').screenshot({ path: join(shots, 'lab2-t1-64-nodes.png') });
  await shot('t2-64-nodes-page');
  log(`64 nodes, ${lines} links that carried traffic, none overlapping`);
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await ctx.newPage();
  // The guided tour opens on a first visit (tour.mjs tests it); these
  // tests start from the page without it.
  await ctx.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1'));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  const only = (process.env.LAB_ONLY || '').split(',').filter(Boolean);
  for (const [name, fn] of Object.entries({ stepByMessage, links, topology, uploadHint, diagramFollows, streamNotes, tourEdited })) {
    if (only.length && !only.includes(name)) continue;
    await fn();
  }
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'lab2-failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
