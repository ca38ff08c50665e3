// Messages you can see (issue 18 part 3), run by see_test.go:
//   node see.mjs URL SHOTS_DIR PINGER_WASM OUT_JSON
// - messages fly along the topology's links while a run plays;
// - a node shows its state (the guest's SetState) inside it, in its
//   tooltip, and in its menu with its store's keys;
// - clicking a chart point seeks the run to that time;
// - 100 nodes are laid out without overlapping circles or labels;
// with screenshots at 1440×900 and 1024×768, of 5 and of 100 nodes.
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, pingerWasm, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`see: ${msg}`); };

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let page;
const errors = [];
const open = async (u) => {
  await page.goto(u);
  await page.waitForSelector('body[data-ready="1"]');
};
const state = () => page.locator('#run-state').textContent();
// drawn waits until a stopped run's charts are drawn (body[data-drawn]),
// so that a page screenshot does not catch an empty Charts panel.
const drawn = () => page.waitForFunction(() => document.body.dataset.drawn === '1', null, { timeout: 15000 });
const finished = () => page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 120000 });

// twopc5 loads Two-Phase Commit with four participants: five nodes.
async function twopc5(speed) {
  // A fresh page may first show the last run's scenario (also twopc):
  // wait for this file's own load, or the fill below races it and loses.
  const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/patterns/twopc'));
  await page.locator('.pattern[data-pattern="twopc"] button[data-file="scenario.yaml"]').click();
  const file = (await (await loaded).json()).contents['scenario.yaml'];
  await page.waitForFunction((t) => document.querySelector('#scenario').value === t && document.querySelector('#scn-title').textContent === 'twopc/scenario.yaml', file);
  const text = await page.locator('#scenario').inputValue();
  check(text.includes('{name: p, count: 3,'), 'twopc/scenario.yaml has three participants to make four');
  await page.locator('#scenario').fill(text.replace('{name: p, count: 3,', '{name: p, count: 4,'));
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption(speed);
  const before = await page.locator('#run-id').textContent();
  await page.locator('#run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && /^run [0-9a-f]/.test(document.querySelector('#run-id').textContent), before, { timeout: 120000 });
}

// flightsAndState plays twopc at 1x: dots fly between the nodes, and the
// participants show their locks.
async function flightsAndState() {
  await open(url);
  await twopc5('1');
  await page.waitForFunction(() => Number((document.querySelector('#topology g.flights') || {}).dataset?.drawn || 0) > 0, null, { timeout: 60000 });
  const flying = await page.locator('#topology circle.flight:visible').count();
  check(flying > 0, `dots fly while the run plays: ${flying}`);
  const note = await page.locator('#flights-note').textContent();
  check(/messages drawn: [\d,]+ of [\d,]+ delivered/.test(note), `the note says how many messages were drawn: ${note}`);
  await page.locator('#topology').screenshot({ path: join(shots, 'see-flights-5.png') });
  log(`${flying} dots in flight; note: ${note}`);

  // A participant's locks, inside the node.
  await page.waitForSelector('#topology text.gstate[data-gstate="p0"]', { timeout: 60000 });
  const line = await page.locator('#topology text.gstate[data-gstate="p0"]').textContent();
  check(/locks/.test(line) && /prepared \d/.test(line), `p0's state line: ${line}`);
  const title = await page.locator('#topology g.node[data-node="p0"] > title').textContent();
  check(/state: \{"locks":\[.*\],"prepared":\d+\}/.test(title), `p0's tooltip carries its state: ${title}`);
  await page.locator('#topology g.node[data-node="p0"]').click();
  await page.waitForSelector('#nodemenu:not([hidden]) pre.gstate-full');
  check(/state \{[\s\S]*"locks"/.test(await page.locator('#nodemenu pre.gstate-full').textContent()), 'the menu shows the whole state');
  await page.waitForFunction(() => /^store \(\d+\+? keys\): /.test(document.querySelector('#nodemenu .store-keys').textContent), null, { timeout: 30000 });
  const keys = await page.locator('#nodemenu .store-keys').textContent();
  check(/done\/|lock\/|kv\//.test(keys), `the menu lists the store's keys: ${keys}`);
  await page.locator('#topology').screenshot({ path: join(shots, 'see-state-menu-5.png') });
  log(`p0 shows "${line}"; menu: ${keys}`);
  await page.locator('#run-id').click(); // closes the menu

  // A live run redraws the topology several times a second: a click whose
  // press and release straddle a redraw still opens the node's menu.
  await page.waitForSelector('#nodemenu', { state: 'hidden' });
  const box = await page.locator('#topology g.node[data-node="p1"] > circle').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.evaluate(() => { // what draw() does: every node drawn anew
    const svg = document.querySelector('#topology');
    svg.replaceChildren(...[...svg.childNodes].map((c) => c.cloneNode(true)));
  });
  await page.mouse.up();
  await page.waitForFunction(() => !document.querySelector('#nodemenu').hidden && /^p1: /.test(document.querySelector('#nodemenu b').textContent), null, { timeout: 5000 });
  log('a click across a redraw opens the node menu');
  await page.locator('#run-id').click();
  // Without a pointer: Enter on a focused node, and a click with no
  // pointer behind it (what assistive technology sends).
  await page.waitForSelector('#nodemenu', { state: 'hidden' });
  await page.locator('#topology g.node[data-node="p2"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#nodemenu').hidden && /^p2: /.test(document.querySelector('#nodemenu b').textContent), null, { timeout: 5000 });
  await page.locator('#run-id').click();
  await page.waitForSelector('#nodemenu', { state: 'hidden' });
  await page.evaluate(() => document.querySelector('#topology g.node[data-node="p3"]').dispatchEvent(new MouseEvent('click', { bubbles: true })));
  await page.waitForFunction(() => !document.querySelector('#nodemenu').hidden && /^p3: /.test(document.querySelector('#nodemenu b').textContent), null, { timeout: 5000 });
  log('Enter on a focused node and a pointerless click open its menu');
  await page.locator('#run-id').click();
}

// chartSeek finishes the run, then clicks the throughput chart at 40%
// of its width: the run is sought back to that time.
async function chartSeek() {
  if (await state() !== 'finished') await page.locator('#finish').click();
  await finished();
  await page.waitForFunction(() => Number(document.querySelector('#chart-tput').dataset.points || 0) > 10, null, { timeout: 30000 });
  const over = page.locator('#chart-tput .u-over');
  const box = await over.boundingBox();
  const before = await page.locator('#slider-label').textContent();
  await over.click({ position: { x: box.width * 0.4, y: box.height / 2 } });
  await page.waitForFunction(() => !document.querySelector('#rewound').hidden, null, { timeout: 60000 });
  const picked = await page.locator('#chart-tput').getAttribute('data-picked');
  check(/^\d+\.\d+s@\d+$/.test(picked || ''), `the chart names what it picked: ${picked}`);
  const [, at, max] = /event (\d+) \/ (\d+)/.exec(await page.locator('#slider-label').textContent()).map(Number);
  const want = Number(picked.split('@')[1]);
  check(at >= want && at < max, `the run is at the picked event: ${at} (picked ${want}, of ${max})`);
  const vt = await page.locator('#vtime').textContent();
  check(Math.abs(parseFloat(vt) / 1000 - parseFloat(picked)) < 0.2, `the virtual time is the clicked one: ${vt} vs ${picked}`);
  check(await state() === 'paused', 'the sought run is paused there');
  await drawn();
  await page.screenshot({ path: join(shots, 'see-chart-seek-1440.png') });
  log(`chart click at ${picked}: ${before} -> event ${at} / ${max}, t=${vt}`);
}

// hundred runs 100 pinging nodes and checks the layout: no two circles
// and no two labels overlap.
async function hundred(tag) {
  await open(url);
  await page.locator('#upload').setInputFiles(pingerWasm);
  await page.waitForFunction(() => /uploaded pinger\.wasm/.test(document.querySelector('#flash').textContent));
  const sha = await page.evaluate(async () => (await (await fetch('/api/v1/modules')).json()).modules.find((m) => m.name === 'pinger.wasm').sha256);
  await page.locator('#scenario').fill(`name: hundred
seed: 3
duration: 3ms
modules:
  p: {sha256: ${sha}, roles: [server]}
nodes:
  - {name: n, count: 100, module: p, role: server}
limits: {memory_pages: 16, store_bytes: 65536, fs_bytes: 65536, in_flight_bytes: 65536, log_bytes_per_run: 65536}
`);
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  await page.locator('#run').click();
  await finished();
  await page.waitForFunction(() => document.querySelectorAll('#topology .node').length === 100);
  const overlaps = await page.evaluate(() => {
    const boxes = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
    const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const count = (bs) => { let n = 0; for (let i = 0; i < bs.length; i++) for (let j = i + 1; j < bs.length; j++) if (hit(bs[i], bs[j])) n++; return n; };
    const labels = boxes('#topology .node text');
    const circles = boxes('#topology .node > circle:first-of-type');
    const svg = document.querySelector('#topology').getBoundingClientRect();
    const outside = [...labels, ...circles].filter((b) => b.left < svg.left || b.right > svg.right || b.top < svg.top || b.bottom > svg.bottom).length;
    const minFont = Math.min(...[...document.querySelectorAll('#topology .node text')].map((t) => t.getBoundingClientRect().height));
    return { labels: count(labels), circles: count(circles), labelCircle: 0, outside, minFont };
  });
  check(overlaps.labels === 0 && overlaps.circles === 0 && overlaps.outside === 0, `100 nodes: no overlaps and all inside: ${JSON.stringify(overlaps)}`);
  check(overlaps.minFont >= 7, `labels are readable: ${overlaps.minFont.toFixed(1)} px high`);
  await page.locator('#topology').screenshot({ path: join(shots, `see-100-topology-${tag}.png`) });
  await drawn();
  await page.screenshot({ path: join(shots, `see-100-page-${tag}.png`) });
  log(`${tag}: 100 nodes, ${JSON.stringify(overlaps)}`);
}

// five takes the page with five nodes at this viewport.
async function five(tag) {
  await open(url);
  await twopc5('0');
  await finished();
  await page.waitForSelector('#topology text.gstate[data-gstate="p3"]');
  await drawn();
  await page.screenshot({ path: join(shots, `see-5-page-${tag}.png`) });
  await page.locator('#topology').screenshot({ path: join(shots, `see-5-topology-${tag}.png`) });
  log(`${tag}: 5 nodes with their state lines`);
}

// names runs saga, whose nodes are named after their roles: a node shows
// its name once (no role line repeating it), and a name wider than its
// circle carries a halo that keeps it legible across the circle's edge.
async function names(tag) {
  await open(url);
  const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/patterns/saga'));
  await page.locator('.pattern[data-pattern="saga"] button[data-file="scenario.yaml"]').click();
  const file = (await (await loaded).json()).contents['scenario.yaml'];
  await page.waitForFunction((t) => document.querySelector('#scenario').value === t && document.querySelector('#scn-title').textContent === 'saga/scenario.yaml', file);
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0');
  const before = await page.locator('#run-id').textContent();
  await page.locator('#run').click();
  await page.waitForFunction((b) => document.querySelector('#run-id').textContent !== b && /^run [0-9a-f]/.test(document.querySelector('#run-id').textContent), before, { timeout: 120000 });
  await finished();
  await page.waitForSelector('#topology g.node[data-node="orchestrator"]');
  const got = await page.evaluate(() => {
    const g = document.querySelector('#topology g.node[data-node="orchestrator"]');
    const texts = [...g.querySelectorAll('text')].map((t) => t.textContent);
    const name = g.querySelector('text');
    const circle = g.querySelector('circle').getBoundingClientRect().width;
    const cs = getComputedStyle(name);
    return { texts, halo: cs.stroke !== 'none' && cs.paintOrder.startsWith('stroke'), wide: name.getBoundingClientRect().width > circle };
  });
  check(got.texts.filter((t) => t === 'orchestrator').length === 1, `orchestrator is named once: ${JSON.stringify(got.texts)}`);
  check(got.wide && got.halo, `orchestrator is wider than its circle, and has a halo (a stroke painted under it): ${JSON.stringify(got)}`);
  await page.locator('#topology').screenshot({ path: join(shots, `see-names-${tag}.png`) });
  log(`${tag}: saga's nodes named once, ${JSON.stringify(got)}`);
}

try {
  const only = (process.env.SEE_ONLY || '').split(',').filter(Boolean);
  const want = (n) => !only.length || only.includes(n);
  for (const [w, h] of [[1440, 900], [1024, 768]]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h } });
    // The first visit's tour (tested in tour.mjs) would cover the shots.
    await ctx.addInitScript(() => localStorage.setItem('terrarium-tour-seen', '1'));
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });
    const tag = `${w}x${h}`;
    if (w === 1440) {
      if (want('flights')) { await flightsAndState(); if (want('chart')) await chartSeek(); }
    }
    if (want('five')) await five(tag);
    if (want('names')) await names(tag);
    if (want('hundred')) await hundred(tag);
    await ctx.close();
  }
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'see-failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
