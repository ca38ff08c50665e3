// Scale without freezing (issue 18 part 7): a 100-node run that records a
// million events, played in the page. Run by scale_test.go:
//   node scale.mjs URL SHOTS_DIR PINGER_WASM OUT_JSON
// It asserts behaviour only (the status advances while the run plays, the
// 100 nodes are drawn, a click on a node answers while the run plays) and
// prints what it measured in the browser: time to first paint, frame
// times while the run plays (requestAnimationFrame), the JS heap
// (performance.memory) and the events per second the page took in.
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, shots, pingerWasm, outJSON] = process.argv.slice(2);
const out = { steps: [] };
const log = (msg) => { out.steps.push(msg); console.log(`scale: ${msg}`); };

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

// Every node pings nodes 0, 1 and 2 and answers every message: 300 ping
// pongs on a 1 ms network, about 600 events a virtual millisecond. The
// limits keep 100 nodes inside the server's memory budget.
const scenario = (sha) => `name: scale-100
seed: 1
duration: 1800ms
modules:
  p: {sha256: ${sha}, roles: [server]}
nodes:
  - {name: n, count: 100, module: p, role: server}
limits: {memory_pages: 16, store_bytes: 65536, fs_bytes: 65536, in_flight_bytes: 1048576, log_bytes_per_run: 65536, max_events: 2000000}
`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-precise-memory-info'],
});
const errors = [];
let page;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
};

try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text()); });

  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  const ttfp = await page.evaluate(() => {
    const p = performance.getEntriesByType('paint');
    const fcp = p.find((e) => e.name === 'first-contentful-paint') || p.find((e) => e.name === 'first-paint');
    return fcp ? fcp.startTime : null;
  });
  check(ttfp !== null, 'the page painted');
  out.ttfp_ms = Math.round(ttfp);

  await page.locator('#upload').setInputFiles(pingerWasm);
  await page.waitForFunction(() => /uploaded pinger\.wasm/.test(document.querySelector('#flash').textContent));
  const sha = await page.evaluate(async () => (await (await fetch('/api/v1/modules')).json()).modules.find((m) => m.name === 'pinger.wasm').sha256);
  await page.locator('#scenario').fill(scenario(sha));
  await page.locator('#start-paused').uncheck();
  await page.locator('#speed').selectOption('0.2');

  // Frame times from requestAnimationFrame, and the status as the page
  // shows it, sampled from inside the page while the run plays.
  await page.evaluate(() => {
    const m = { frames: [], status: [], heap: [], last: 0, stop: false, sse: {}, long: {} };
    window.__scale = m;
    // Where the main thread's time goes: each stream message kind's count
    // and handler time, and the long tasks by where they ran.
    const add = EventSource.prototype.addEventListener;
    EventSource.prototype.addEventListener = function (type, fn, o) {
      return add.call(this, type, (ev) => {
        const t = performance.now();
        fn(ev);
        const x = m.sse[type] || (m.sse[type] = { n: 0, ms: 0, bytes: 0 });
        x.n++; x.ms += performance.now() - t; x.bytes += ev.data.length;
      }, o);
    };
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        const where = (e.attribution && e.attribution[0] && (e.attribution[0].containerSrc || e.attribution[0].containerType)) || e.name;
        const k = String(where).replace(/\?.*$/, '');
        const x = m.long[k] || (m.long[k] = { n: 0, ms: 0 });
        x.n++; x.ms += e.duration;
      }
    }).observe({ type: 'longtask', buffered: false });
    const frame = (t) => {
      if (m.last) m.frames.push(t - m.last);
      m.last = t;
      if (!m.stop) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    m.timer = setInterval(() => {
      m.status.push([performance.now(), document.querySelector('#vtime').textContent, document.querySelector('#slider-label').textContent,
        document.querySelector('#run-state').textContent, Number(document.body.dataset.seen || 0)]);
      if (performance.memory) m.heap.push(performance.memory.usedJSHeapSize);
    }, 250);
  });
  const t0 = Date.now();
  await page.locator('#run').click();
  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'running', null, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('#topology .node').length === 100, null, { timeout: 30000 });

  // The page answers a click while the run plays: a node's menu opens.
  await page.waitForFunction(() => Number(document.body.dataset.seen || 0) > 50000, null, { timeout: 60000 });
  const running = await page.locator('#run-state').textContent();
  // A person's click at the node's place, timed from the press to the
  // menu's being shown (in the page's own clock).
  const b = await page.locator('#topology g.node[data-node="n57"] circle').first().boundingBox();
  await page.evaluate(() => {
    window.__clickAt = 0;
    document.addEventListener('mousedown', () => { window.__clickAt = performance.now(); }, { once: true, capture: true });
    const menu = document.querySelector('#nodemenu');
    new MutationObserver((_, o) => { if (!menu.hidden) { window.__menuAt = performance.now(); o.disconnect(); } }).observe(menu, { attributes: true });
  });
  await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
  await page.waitForSelector('#nodemenu:not([hidden])', { timeout: 30000 });
  out.click_ms = Math.round(await page.evaluate(() => window.__menuAt - window.__clickAt));
  check(/^n57: /.test(await page.locator('#nodemenu b').textContent()), 'the menu is n57\'s');
  await page.locator('#topology').screenshot({ path: join(shots, 'scale-topology-running.png') });
  await page.screenshot({ path: join(shots, 'scale-page-running.png') });
  log(`a click on n57 while the run was ${running} opened its menu in ${out.click_ms} ms`);
  await page.keyboard.press('Escape');
  await page.locator('#run-id').click(); // closes the menu

  await page.waitForFunction(() => document.querySelector('#run-state').textContent === 'finished', null, { timeout: 150000, polling: 500 });
  const wall = (Date.now() - t0) / 1000;
  // The page catches up with the trace's last event.
  const maxSeq = await page.evaluate(async () => {
    const id = location.pathname.split('/')[2];
    return (await (await fetch(`/api/v1/runs/${id}`)).json()).max_seq;
  });
  await page.waitForFunction((n) => Number(document.body.dataset.seen || 0) >= n, maxSeq, { timeout: 120000, polling: 500 });
  const caught = (Date.now() - t0) / 1000;
  const m = await page.evaluate(() => { const x = window.__scale; x.stop = true; clearInterval(x.timer); return { frames: x.frames, status: x.status, heap: x.heap, sse: x.sse, long: x.long }; });
  check(maxSeq >= 1_000_000, `the run recorded a million events: ${maxSeq}`);

  // The status advanced while the run played: several distinct times
  // and event counters were shown while its state was running.
  const whileRunning = m.status.filter((s) => s[3] === 'running');
  const times = new Set(whileRunning.map((s) => s[1]));
  const counters = new Set(whileRunning.map((s) => s[2]));
  check(times.size >= 3 && counters.size >= 3, `status advanced while running: ${times.size} times, ${counters.size} counters in ${whileRunning.length} samples`);
  check(await page.locator('#topology .node').count() === 100, '100 nodes drawn');
  const drawn = Number(await page.locator('#topology g.flights').getAttribute('data-drawn'));
  check(drawn > 0, `messages were animated: ${drawn}`);

  const f = m.frames;
  out.frames = f.length;
  out.frame_p50_ms = +pct(f, 0.5).toFixed(1);
  out.frame_p95_ms = +pct(f, 0.95).toFixed(1);
  out.frame_max_ms = +Math.max(...f).toFixed(1);
  out.heap_max_mib = m.heap.length ? +(Math.max(...m.heap) / 1048576).toFixed(1) : null;
  out.heap_end_mib = m.heap.length ? +(m.heap[m.heap.length - 1] / 1048576).toFixed(1) : null;
  out.events = maxSeq;
  out.run_wall_s = +wall.toFixed(1);
  out.page_events_per_s = Math.round(maxSeq / caught);
  out.status_samples_running = whileRunning.length;
  out.sse = m.sse;
  out.long_tasks = m.long;
  log(`stream handlers: ${JSON.stringify(m.sse)}; long tasks: ${JSON.stringify(m.long)}`);
  out.status_distinct_times = times.size;
  out.flights_drawn = drawn;
  await page.screenshot({ path: join(shots, 'scale-page-finished.png') });
  log(`TTFP ${out.ttfp_ms} ms; ${out.frames} frames while playing: p50 ${out.frame_p50_ms} ms, p95 ${out.frame_p95_ms} ms, max ${out.frame_max_ms} ms; ` +
    `JS heap max ${out.heap_max_mib} MiB (end ${out.heap_end_mib} MiB); ${maxSeq} events, run finished in ${out.run_wall_s} s, page caught up in ${caught.toFixed(1)} s ` +
    `(${out.page_events_per_s} events/s into the page); status showed ${times.size} times in ${whileRunning.length} samples while running; ` +
    `${drawn} messages animated; click answered in ${out.click_ms} ms`);
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err && err.stack ? err.stack : err);
  if (page) await page.screenshot({ path: join(shots, 'scale-failure.png') }).catch(() => {});
} finally {
  await browser.close();
  writeFileSync(outJSON, JSON.stringify(out, null, 1));
}
process.exit(out.ok ? 0 : 1);
