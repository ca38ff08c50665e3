// Terrarium playground: plain ES modules, no build step. Everything it shows
// comes from the server's API (/api/openapi.json describes it).
import { api, ApiError, setToken } from './api.js';
import { Editor } from './editor.js';
import { Topology } from './topology.js';
import { Charts } from './charts.js';
import { markdown } from './md.js';
import { NextPanel } from './next.js';
import { shareLink, readShare } from './share.js';
import { SearchPanel } from './search.js';
import { ExplorerView } from './explorer.js';
import { TourPlayer } from './tour.js';
import { TraceFeed } from './feed.js';

const $ = (id) => document.getElementById(id);
const fmtT = (ns) => (ns / 1e6).toFixed(ns < 1e9 ? 1 : 0) + 'ms';

const st = {
  run: null,          // the run's status, as the API returns it
  origin: null,       // {pattern, file, name} the editor text came from
  es: null,           // the EventSource of the current run
  lastSeed: null,
  lamportAt: null,    // the run position the diagram shows
  lamportTimer: 0,
  marks: new Map(),   // "txn c1-12" -> the last event that emitted about it
  keyMarks: new Map(), // "key k3" -> every event that emitted about it, in order
};

// markEvent indexes the events a violation can point at: an emitted event
// about a transaction, an order, a saga, a key or a request. marks keeps
// each one's last event (by then the violation it is part of has
// happened); a key's events are all kept, in order, so that a violation
// saying when it happened finds the event of that moment.
const markFields = ['txn', 'order', 'saga', 'key', 'req'];
function markEvent(e) {
  if (e.kind !== 'emit' || !e.data || typeof e.data !== 'object') return;
  for (const k of markFields) {
    if (e.data[k] === undefined) continue;
    const name = `${k} ${e.data[k]}`, at = { seq: e.seq, t: e.t };
    st.marks.set(name, at);
    if (k !== 'key') continue;
    if (!st.keyMarks.has(name)) st.keyMarks.set(name, []);
    st.keyMarks.get(name).push(at);
  }
}

// goDuration reads a Go duration string ("1.62773256s", "850ms") in ns.
function goDuration(s) {
  const unit = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, 'µs': 1e3, ns: 1 };
  let ns = 0, any = false;
  for (const m of String(s).matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) { ns += Number(m[1]) * unit[m[2]]; any = true; }
  return any ? ns : null;
}

// violationTarget finds the event a violation names, or null. A string
// names it in its text ("txn c1-12: ...", "backend acted on c3-1 ...");
// an object either is a witness, naming the trace event itself by its
// seq and time t (check.Witness: {seq, t, at, what}), or names it by a
// field (txn, order, saga, key) and, for a key, the time it happened
// (at), which picks the key's last event at or before then.
function violationTarget(v) {
  if (typeof v === 'string') {
    const m = /\b(txn|order|saga|key) ([\w@.:-]+?)(?=[:,;)\s]|$)/.exec(v) || /\bacted on ()([\w@.:-]+)/.exec(v);
    return m ? st.marks.get(`${m[1] || 'req'} ${m[2]}`) || null : null;
  }
  if (!v || typeof v !== 'object') return null;
  if (Number.isInteger(v.seq) && Number.isInteger(v.t)) return { seq: v.seq, t: v.t };
  for (const k of markFields) {
    if (v[k] === undefined) continue;
    const name = `${k} ${v[k]}`, at = v.at !== undefined ? goDuration(v.at) : null;
    const all = st.keyMarks.get(name);
    if (all && at !== null) return all.filter((e) => e.t <= at).pop() || all[0];
    if (st.marks.has(name)) return st.marks.get(name);
  }
  return null;
}

const editor = new Editor($('scenario'), $('gutter'), $('problems'));
// Clicking a chart point seeks the run to the first event of that time.
const charts = new Charts($('chart-tput'), $('chart-lat'), $('chart-avail'), (seq) => seek(seq, seq));
// markDrawn sets body[data-drawn] to "1" once a run that is not running
// has its events all read and drawn in the charts and the topology ("0"
// otherwise): they draw a moment after the events come, so a screenshot
// or a reader waits for it.
function markDrawn() {
  const r = st.run;
  const done = r && r.state !== 'running' && Number(document.body.dataset.seen || 0) >= r.seq && feed.backlog() === 0 && !charts.pending() && !topo.pending;
  const v = done ? '1' : '0';
  if (document.body.dataset.drawn !== v) document.body.dataset.drawn = v;
  // Empty charts of a finished run say why: it had no operations.
  // (A run whose events were lost with its worker says so elsewhere.)
  $('charts-note').hidden = !done || r.state !== 'finished' || charts.ops() > 0 || (r.error && r.max_seq === 0);
}
charts.onDrawn = () => markDrawn();
// Step by message: the events due next of a paused run, one button each.
const next = new NextPanel($('next'), {
  picked: (run) => { st.run = run; render(); flash(`delivered pick at event ${run.seq}: recorded on the timeline`); },
  error: (err) => showError(err),
  // The messages on their way at a paused moment stay on the topology.
  inFlight: (v) => topo.setInFlight(v ? v.now_ns : 0, v ? v.in_flight : null),
});
// The guided tours (tour.js): hooks into this page's run.
const tour = new TourPlayer($('tour'), {
  load: (pattern, file) => loadPatternFile(pattern, file),
  run: (start) => startRun('', { start }),
  control: (body) => control(body),
  fault: (f) => applyFault(f),
  seek: (seq) => seek(seq, seq),
  pinViolation: (check) => pinViolation(check),
  current: () => st.run,
  // edited: the editor no longer holds the file as loaded (the tour
  // adopts a run of the step's file only as the tour wrote it).
  // An origin without the text as loaded (a run reopened, a job's
  // result) counts as edited: its text may differ from the file's.
  origin: () => st.origin && { ...st.origin, edited: st.origin.text === undefined || editor.get() !== st.origin.text },
  speed: () => Number($('speed').value),
});
const topo = new Topology($('topology'), $('nodemenu'), {
  act: (fault) => applyFault(fault),
  inspect: (name) => inspect(name),
  selection: () => updateSelection(),
  detail: (name) => api('GET', `/runs/${st.run.id}/nodes/${encodeURIComponent(name)}?limit=50`),
  note: $('flights-note'),
  drawn: () => markDrawn(),
});

// Sweeps, shrink and explore (search.js) open what they find as runs; the
// explorer (explorer.js) steps through a scheduled run's decisions.
const search = new SearchPanel({
  source: () => ({ text: editor.get(), origin: st.origin }),
  run: () => st.run,
  open: (text, seed, label, origin, graph) => openScenario(text, seed, label, origin, graph),
  flash: (msg, isError) => flash(msg, isError),
  error: (err) => showError(err),
});
const explorer = new ExplorerView($('explorer'), {
  seek: (seq) => seekDecision(seq),
  error: (err) => showError(err),
});

// seekDecision moves the run to a decision's event: a run that has not
// got there yet is finished first (seek only goes back over what ran),
// then sought back, and the diagram opens at that event.
async function seekDecision(seq) {
  if (!st.run) return;
  if (st.run.max_seq < seq && st.run.state !== 'finished') await control({ action: 'finish' });
  await seek(seq, seq);
}

function flash(msg, isError) {
  const f = $('flash');
  f.textContent = msg;
  f.className = isError ? 'error' : '';
}

function showError(err) {
  flash(err instanceof ApiError ? `${err.status} ${err.code}: ${err.message}` : String(err), true);
}

// ---- gallery and modules ----

async function loadGallery() {
  const { patterns } = await api('GET', '/patterns');
  const g = $('gallery');
  g.textContent = '';
  const cats = [...new Set(patterns.map((p) => p.category))].sort();
  for (const cat of cats) {
    const h = document.createElement('div');
    h.className = 'cat';
    h.textContent = cat;
    g.append(h);
    for (const p of patterns.filter((x) => x.category === cat)) {
      const d = document.createElement('div');
      d.className = 'pattern';
      d.dataset.pattern = p.name;
      d.innerHTML = `<div class="title"></div><div class="sum"></div>
        <details><summary>what it is for, advantages, limits</summary>
        <b>For</b><div class="purpose"></div><b>Advantages</b><div class="adv"></div><b>Limits</b><div class="lim"></div></details>
        <div class="files"></div>`;
      d.querySelector('.title').textContent = `${p.title}`;
      d.querySelector('.sum').textContent = p.summary;
      // Descriptions are Markdown: rendered from a safe subset (md.js).
      for (const [cls, text] of [['purpose', p.purpose], ['adv', p.advantages], ['lim', p.limitations]]) {
        const el = d.querySelector(`.${cls}`);
        el.classList.add('md');
        el.innerHTML = markdown(text || '');
      }
      const files = d.querySelector('.files');
      if (p.tour) files.before(tourSummary(p));
      for (const f of p.files) {
        const b = document.createElement('button');
        b.textContent = f === 'scenario.yaml' ? 'scenario' : f === 'limit.yaml' ? 'limit demo' : f === 'broken.yaml' ? 'broken' : f.replace(/\.yaml$/, '');
        b.dataset.file = f;
        b.title = `load plugins/${p.name}/${f}`;
        b.onclick = () => loadPatternFile(p.name, f).catch(showError);
        files.append(b, ' ');
      }
      g.append(d);
    }
  }
}

// tourSummary lists a pattern's tour steps (its tour.yaml) under the card,
// with the button that plays it (tour.js).
function tourSummary(p) {
  tour.add(p.name, p.tour);
  const el = document.createElement('details');
  el.className = 'tour';
  el.innerHTML = '<summary>guided tour</summary><div class="steps md"><ol></ol></div>';
  for (const s of p.tour.steps) {
    const li = document.createElement('li');
    li.innerHTML = `<b></b> ${markdown(s.text)}`;
    li.querySelector('b').textContent = s.title;
    el.querySelector('ol').append(li);
  }
  const b = document.createElement('button');
  b.className = 'take-tour';
  b.textContent = '▶ Take the tour';
  b.onclick = () => tour.open(p.name, 0);
  const wrap = document.createElement('div');
  wrap.append(b, el);
  return wrap;
}

async function loadPatternFile(name, file) {
  const p = await api('GET', `/patterns/${name}`);
  editor.set(p.contents[file]);
  // The text as the editor holds it (a textarea turns CRLF into LF).
  setOrigin({ pattern: name, file, name: scenarioName(p.contents[file]), text: editor.get() });
  // The run on show was of another scenario: its verdict must not sit
  // next to this one.
  detach(`no run of ${name}/${file} yet: press Run`);
  flash(`loaded ${name}/${file}`);
}

// scenarioName is the scenario's top-level name: line.
function scenarioName(text) {
  const m = /^name:\s*(.*?)\s*$/m.exec(text || '');
  return m ? m[1] : '';
}

// setOrigin says where the editor's text came from (null: written here).
function setOrigin(o) {
  st.origin = o;
  const t = $('scn-title');
  t.textContent = o ? (o.pattern ? `${o.pattern}/${o.file}` : o.label) : 'your scenario (not from the gallery)';
  t.classList.toggle('scratch', !o);
}

// editorChanged forgets the gallery file the text came from once the text
// is another scenario (emptied, or renamed): its module paths then resolve
// against the plugins folder, and it is not labelled as that file.
function editorChanged() {
  if (!st.origin) return;
  const text = editor.get();
  if (text.trim() !== '' && scenarioName(text) === st.origin.name) return;
  setOrigin(null);
  // The run bar named the gallery file ("no run of twopc/scenario.yaml").
  if (!st.run) $('run-id').textContent = 'no run of this scenario yet: press Run';
}

// detach leaves the run on show: no verdict, topology, charts or diagram
// of it stay on the page.
function detach(msg) {
  if (st.es) st.es.close();
  feed.clear();
  st.es = null;
  st.run = null;
  st.shownState = null;
  st.lamportAt = null;
  clearTimeout(st.lamportTimer);
  st.lamportTimer = 0;
  charts.reset();
  topo.reset([], []);
  $('lamport').src = 'about:blank';
  $('lamport-open').removeAttribute('href');
  $('run-id').textContent = msg;
  const s = $('run-state');
  s.textContent = '-';
  s.className = 'badge';
  $('vtime').textContent = '0';
  $('digest').textContent = '-';
  $('slider').max = '0';
  $('slider').value = '0';
  $('slider-label').textContent = 'event 0 / 0';
  $('rewound').hidden = true;
  $('actions').textContent = '';
  next.reset('no run');
  explorer.update(null);
  const tb = $('checks').tBodies[0];
  tb.textContent = '';
  tb.insertRow().insertCell().textContent = 'run to the end to see verdicts';
  $('insp-name').textContent = '-';
  $('inspector').className = 'muted';
  $('inspector').textContent = 'click a node';
  for (const b of ['pause', 'resume', 'step', 'step10', 'advance', 'finish', 'export', 'share', 'delete']) $(b).disabled = true;
  if (location.pathname !== '/') history.replaceState(null, '', '/');
  loadRuns().catch(() => {});
}

async function loadModules() {
  const { modules } = await api('GET', '/modules');
  const ul = $('modules');
  ul.textContent = '';
  for (const m of modules) {
    const li = document.createElement('li');
    li.innerHTML = `<span class="mono"></span> <span class="muted"></span> <button>use</button>`;
    li.querySelector('.mono').textContent = m.sha256.slice(0, 12);
    li.querySelector('.muted').textContent = `${m.name || ''} ${m.size < 10240 ? `${m.size} B` : `${(m.size / 1024).toFixed(0)} KiB`}`;
    li.querySelector('button').onclick = () => useModule(m);
    li.title = m.sha256;
    ul.append(li);
  }
}

// moduleScenario is a scenario that runs three nodes of module m, for an
// empty editor.
function moduleScenario(m) {
  const name = (m.name || 'module').replace(/\.wasm$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'module';
  return `name: ${name}
seed: 1
duration: 100ms
modules:
  mod_${m.sha256.slice(0, 6)}: {sha256: ${m.sha256}, roles: [server]}
nodes:
  - {name: n, count: 3, module: mod_${m.sha256.slice(0, 6)}, role: server}
`;
}

// useModule puts module m in the editor: a whole scenario of it when the
// editor is empty, else an entry under modules: and a node of it under
// nodes: (each section made if missing).
function useModule(m) {
  hideUploadHint();
  if (editor.get().trim() === '') {
    editor.set(moduleScenario(m));
    editorChanged();
    flash(`a scenario of ${m.name || m.sha256.slice(0, 12)} is in the editor: press Run, or edit its nodes and duration first`);
    return;
  }
  const key = `mod_${m.sha256.slice(0, 6)}`;
  const node = `u${m.sha256.slice(0, 6)}`;
  const lines = editor.get().replace(/\n*$/, '').split('\n');
  const ok = insertUnder(lines, 'modules', key, `${key}: {sha256: ${m.sha256}, roles: [server]}`) &&
    insertUnder(lines, 'nodes', `name: ${node},`, `- {name: ${node}, count: 1, module: ${key}, role: server}`);
  if (!ok) {
    flash(`add it yourself: under modules:, ${key}: {sha256: ${m.sha256}, roles: [server]}; under nodes:, {name: ${node}, module: ${key}, role: server} (this scenario writes those sections in a style the button does not edit)`, true);
    return;
  }
  editor.set(`${lines.join('\n')}\n`);
  editorChanged();
  flash(`${key} is under modules: and a node of it under nodes: set its roles to the ones your scenario needs, then Run`);
}

// insertUnder puts item as the first entry of the top-level block section
// (modules: or nodes:) in lines, indented as the section's first entry is
// (two spaces if it has none; the section is made if missing); nothing if
// an entry already holds mark. It returns false, and changes nothing, for
// a section written in flow style (modules: {...}), which a line cannot
// join.
function insertUnder(lines, section, mark, item) {
  const at = lines.findIndex((l) => l.startsWith(`${section}:`));
  if (at < 0) {
    lines.push(`${section}:`, `  ${item}`);
    return true;
  }
  if (!/^[a-z]+:\s*(#.*)?$/.test(lines[at])) return false;
  let end = at + 1;
  while (end < lines.length && (/^\s/.test(lines[end]) || lines[end] === '' || lines[end].startsWith('- ') || lines[end] === '-')) end++;
  const body = lines.slice(at + 1, end);
  if (body.some((l) => l.includes(mark))) return true;
  const first = body.find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const indent = first ? first.match(/^\s*/)[0] : '  ';
  lines.splice(at + 1, 0, `${indent}${item}`);
  return true;
}

function hideUploadHint() {
  $('upload-next').hidden = true;
}

// showUploadHint says what to do with a module just uploaded, with a
// button that does it (useModule).
function showUploadHint(m, file) {
  const empty = editor.get().trim() === '';
  $('upload-next-msg').textContent = `Uploaded ${file} (${m.sha256.slice(0, 12)}). Next: put it in the editor as a node role of a scenario, then press Run. ` +
    (empty ? 'The editor is empty: the button writes a scenario of three nodes of it.' : 'The button adds it to the modules and a node of it to the nodes of the scenario.');
  $('upload-use').textContent = empty ? 'Write a scenario of it in the editor' : 'Add it to the scenario in the editor';
  $('upload-use').onclick = () => useModule(m);
  $('upload-next').hidden = false;
  $('upload-next').scrollIntoView({ block: 'nearest' });
}

async function uploadFile(file) {
  const box = $('upload-error');
  box.hidden = true;
  try {
    const buf = await file.arrayBuffer();
    const m = await api('POST', `/modules?name=${encodeURIComponent(file.name)}`, buf, 'application/wasm');
    flash(`uploaded ${file.name}: ${m.sha256.slice(0, 12)}`);
    showUploadHint({ ...m, name: m.name || file.name }, file.name);
    await loadModules();
  } catch (err) {
    box.hidden = false;
    box.textContent = err instanceof ApiError ? `${file.name}: ${err.status} ${err.code}: ${err.message}` : String(err);
  }
}

// ---- runs ----

async function loadRuns() {
  const { runs } = await api('GET', '/runs');
  const ul = $('runs');
  ul.textContent = '';
  for (const r of runs.slice(0, 20)) {
    const li = document.createElement('li');
    li.dataset.run = r.id;
    li.textContent = `${r.id.slice(0, 6)} ${r.name} seed ${r.seed} ${r.state}${r.verdict ? ` ${r.verdict}` : ''}${r.forked_from ? ` (fork of ${r.forked_from.slice(0, 6)})` : ''}`;
    if (st.run && st.run.id === r.id) li.className = 'current';
    li.onclick = () => openRun(r.id);
    const del = document.createElement('button');
    del.className = 'del';
    del.textContent = '✕';
    del.title = `delete run ${r.id} and its folder`;
    del.dataset.del = r.id;
    del.onclick = (e) => { e.stopPropagation(); deleteRun(r.id).catch(showError); };
    li.append(del);
    ul.append(li);
  }
}

async function startRun(seed, opts = {}) {
  editor.clearProblems();
  hideCapacity();
  if (editor.get().trim() === '') {
    // Never the gallery file behind an empty editor.
    const msg = 'the editor is empty: pick a pattern\'s scenario on the left, or write one, then press Run';
    editor.showProblems([{ line: 1, message: msg }]);
    flash(msg, true);
    return;
  }
  const body = { scenario: editor.get(), start: opts.start ?? !$('start-paused').checked, speed: Number($('speed').value) };
  if (st.origin && st.origin.pattern) {
    body.pattern = st.origin.pattern;
    body.name = st.origin.file;
  }
  if (seed !== '' && seed !== null && seed !== undefined) body.seed = Number(seed);
  try {
    const run = await api('POST', '/runs', body);
    hideUploadHint();
    attach(run);
    flash(`run ${run.id} started, seed ${run.seed}`);
    return run;
  } catch (err) {
    if (err instanceof ApiError && err.problems) editor.showProblems(err.problems);
    if (!(await showCapacity(err, () => startRun(seed)))) showError(err);
  }
}

// ---- capacity: a refused run says what to do, with a button that does it ----

function hideCapacity() {
  $('capacity').hidden = true;
}

// showCapacity explains a 429 (too many runs running) or 503 (memory
// budget) and offers to stop or delete the oldest run in the way, then to
// try again; it returns whether err was one of those.
async function showCapacity(err, retry) {
  if (!(err instanceof ApiError) || !['busy', 'memory'].includes(err.code)) return false;
  let runs = [];
  try { ({ runs } = await api('GET', '/runs')); } catch { /* offer nothing */ }
  // The list is newest first: the oldest in the way is the last.
  const inWay = runs.filter((r) => r.state === 'running' || (err.code === 'memory' && r.in_memory)).reverse();
  const victim = inWay[0];
  const busy = err.code === 'busy';
  $('capacity-msg').textContent = busy
    ? `Not started: ${err.message}. Pause or delete a running run with a button below and this run starts.`
    : `Not started: ${err.message}. Delete a run you no longer need with the button below and this run starts.`;
  const stop = $('capacity-stop');
  const del = $('capacity-delete');
  stop.hidden = !victim || !busy;
  del.hidden = !victim;
  if (victim) {
    const what = `${victim.id.slice(0, 6)} (${victim.name}, ${victim.state})`;
    stop.textContent = `Pause the oldest running run ${what} and run again`;
    del.textContent = `Delete run ${what} and run again`;
    stop.onclick = async () => {
      try { await api('POST', `/runs/${victim.id}/control`, { action: 'pause' }); } catch (e) { showError(e); return; }
      hideCapacity();
      retry();
    };
    del.onclick = async () => {
      try { await deleteRun(victim.id); } catch (e) { showError(e); return; }
      hideCapacity();
      retry();
    };
  }
  $('capacity').hidden = false;
  $('capacity').scrollIntoView({ block: 'nearest' });
  flash(`${err.status} ${err.code}: see the message above the editor`, true);
  return true;
}

async function deleteRun(id) {
  // Stop streaming it first: its stream ends with the run.
  if (st.run && st.run.id === id && st.es) {
    st.es.close();
    st.es = null;
  }
  await api('DELETE', `/runs/${id}`);
  flash(`deleted run ${id}`);
  if (st.run && st.run.id === id) detach('run deleted: pick a run or press Run');
  else await loadRuns();
}

function attach(run) {
  if (st.es) st.es.close();
  st.run = run;
  st.lastSeed = run.seed;
  st.lamportAt = null;
  st.focusSeq = null;
  st.marks.clear();
  st.keyMarks.clear();
  charts.reset();
  topo.reset(run.nodes || [], run.clients || []);
  $('insp-name').textContent = '-';
  $('inspector').className = 'muted';
  $('inspector').textContent = 'click a node';
  render();
  subscribe(0);
  history.replaceState(null, '', `/runs/${run.id}`);
  loadRuns().catch(() => {});
}

// The trace's events go to the charts, the topology and the violation
// index in slices (feed.js); after each slice the page says how far it
// has seen and, once the run has stopped, links violations to the events.
const feed = new TraceFeed((e) => {
  charts.event(e);
  topo.event(e);
  markEvent(e);
  tour.event(e);
}, (seq) => {
  // How far the views have seen, for anyone waiting on them (tests).
  document.body.dataset.seen = String(seq);
  if (topo.still) topo.drawInFlight(); // their send times may have come
  if (st.run && st.run.state !== 'running' && feed.backlog() === 0) renderChecks(st.run);
  markDrawn();
});

// renderSoon renders a status on the next frame: many statuses between
// two frames make one render (of the newest).
function renderSoon() {
  if (st.renderFrame) return;
  st.renderFrame = requestAnimationFrame(() => {
    st.renderFrame = 0;
    render();
  });
}

// firstSeq is the seq of the first event in a trace message's data.
function firstSeq(data) {
  return data.startsWith('[{"seq":') ? parseInt(data.slice(8, 28), 10) : null;
}

// lastSeq is the seq of the last event in a trace message's data (each
// event's JSON starts with its seq), without parsing it all.
function lastSeq(data) {
  const i = data.lastIndexOf('{"seq":');
  return i < 0 ? null : parseInt(data.slice(i + 7, i + 27), 10);
}

// subscribe opens the run's event stream from event from. The stream ends
// when the run finishes (or the connection breaks); EventSource would then
// reconnect to the same URL and send the whole trace again, so the page
// closes it and, unless it has every event, opens it again from the last
// one it got. resume keeps the events that wait to be folded.
function subscribe(from, resume = false) {
  if (st.es) st.es.close();
  if (!resume) {
    document.body.dataset.seen = String(from);
    feed.clear();
  }
  const id = st.run.id;
  const es = new EventSource(`/api/v1/runs/${id}/events?from=${from}`);
  st.es = es;
  let got = from;
  es.addEventListener('trace', (m) => {
    if (st.run.id !== id) return;
    // The server fills a lag from the retained trace (the "lagged"
    // message below), so a hole here is events this page never gets.
    const first = firstSeq(m.data);
    if (first !== null && first > got + 1) flash(`live stream skipped events ${got + 1}–${first - 1}: reload the run to see them`, true);
    got = lastSeq(m.data) ?? got;
    feed.push(m.data); // folded in time slices (feed.js)
  });
  es.onerror = () => {
    es.close();
    if (st.es !== es || !st.run || st.run.id !== id) return;
    st.es = null;
    if (st.run.state === 'finished' && got >= st.run.max_seq) return;
    setTimeout(() => { if (st.es === null && st.run && st.run.id === id) subscribe(got, true); }, 1000);
  };
  es.addEventListener('status', (m) => {
    if (st.run.id !== id) return;
    st.run = JSON.parse(m.data);
    renderSoon();
  });
  es.addEventListener('lagged', (m) => {
    // This client fell behind the live run and the server catches it up
    // from the retained trace (stream.go, pump): no event is skipped, so
    // nothing to tell (the note it flashed was noise); counted for tests.
    const d = JSON.parse(m.data);
    document.body.dataset.lagged = String(Number(document.body.dataset.lagged || 0) + d.dropped);
  });
  es.addEventListener('reset', () => {
    if (st.run.id !== id) return;
    feed.clear(); // what waits is of the old simulation
    got = 0;
    document.body.dataset.seen = '0';
    st.marks.clear();
    st.keyMarks.clear();
    charts.reset();
    topo.resetEvents();
  });
}

// pollStatus reads a running run's status over its own request every
// second: the event stream carries statuses too, but behind a busy run's
// events (in the socket, and in this page's message queue), so the time
// and event counter would stall exactly when the run is busiest.
async function pollStatus() {
  const r = st.run;
  if (!r || r.state !== 'running' || document.hidden) return;
  try {
    const now = await api('GET', `/runs/${r.id}`);
    // Only a newer status of the run still on show, still running: the
    // stream (or a button) may have brought a newer one while this one
    // was on its way, and a finished run must not turn back to running.
    const cur = st.run;
    if (!cur || cur.id !== now.id || cur.state !== 'running' || now.generation !== cur.generation) return;
    if (now.seq > cur.seq || (now.seq === cur.seq && now.state !== cur.state)) {
      st.run = now;
      render();
    }
  } catch { /* the stream reports errors */ }
}

async function control(body) {
  if (!st.run) return;
  try {
    st.run = await api('POST', `/runs/${st.run.id}/control`, body);
    render();
  } catch (err) {
    if (!(await showCapacity(err, () => control(body)))) showError(err);
  }
}

async function applyFault(fault) {
  if (!st.run) return;
  try {
    if (st.run.rewound) {
      const fork = await api('POST', `/runs/${st.run.id}/fork`, { seq: st.run.seq, fault });
      flash(`forked ${fork.id} from ${st.run.id} at event ${st.run.seq} with ${fault.action}`);
      attach(fork);
      return;
    }
    st.run = await api('POST', `/runs/${st.run.id}/faults`, fault);
    flash(`${fault.action} at ${fmtT(st.run.now_ns)}`);
    render();
  } catch (err) {
    showError(err);
  }
}

// seek moves the run to event seq (it lands at the first step boundary at
// or after it); focus, if set, is the event the diagram opens at.
async function seek(seq, focus = null) {
  if (!st.run) return;
  st.focusSeq = focus;
  try {
    if (st.es) st.es.close();
    st.run = await api('POST', `/runs/${st.run.id}/seek`, { seq });
    st.marks.clear();
    st.keyMarks.clear();
    charts.reset();
    topo.resetEvents();
    render();
    subscribe(0);
    flash(`at event ${st.run.seq} (t=${fmtT(st.run.now_ns)})`);
  } catch (err) {
    showError(err);
  }
}

async function inspect(name) {
  if (!st.run) return;
  try {
    const n = await api('GET', `/runs/${st.run.id}/nodes/${encodeURIComponent(name)}`);
    $('insp-name').textContent = `${n.name} (${n.state})`;
    const box = $('inspector');
    box.className = '';
    box.textContent = '';
    if (n.guest_state !== undefined) {
      const pre = document.createElement('pre');
      pre.className = 'gstate-full';
      pre.textContent = `state ${JSON.stringify(n.guest_state)}`;
      box.append(pre);
    }
    const table = (title, rows, cols) => {
      const h = document.createElement('h4');
      h.textContent = `${title} (${rows.length})`;
      const t = document.createElement('table');
      for (const r of rows) {
        const tr = t.insertRow();
        for (const c of cols) tr.insertCell().textContent = typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c] ?? '');
      }
      box.append(h, t);
    };
    // The server pages a store by key; the inspector shows its first page.
    table(n.store_next ? 'store, first entries' : 'store', n.store, ['key', 'value']);
    table('log', n.log.map((e) => ({ t: fmtT(e.t), text: e.text ?? JSON.stringify(e.data) })), ['t', 'text']);
    table('emitted', n.emits.map((e) => ({ t: fmtT(e.t), key: e.label, v: e.data })), ['t', 'key', 'v']);
    topo.inspected = name;
  } catch (err) {
    showError(err);
  }
}

function updateSelection() {
  const sel = topo.selected;
  $('sel-label').textContent = `selected: ${sel.length ? sel.join(', ') : 'none'}`;
  $('partition').disabled = sel.length === 0;
  $('hold').disabled = sel.length !== 2;
  $('release').disabled = sel.length !== 2;
  $('hold').textContent = sel.length === 2 ? `Hold ${sel[0]}→${sel[1]}` : 'Hold a→b';
  $('release').textContent = sel.length === 2 ? `Release ${sel[0]}→${sel[1]}` : 'Release a→b';
  $('adv-tap').disabled = sel.length !== 2;
  $('adv-replay').disabled = sel.length !== 2;
  $('adv-tap').textContent = sel.length === 2 ? `Eavesdrop ${sel[0]}→${sel[1]}` : 'Eavesdrop a→b';
  $('adv-replay').textContent = sel.length === 2 ? `Replay ${sel[0]}→${sel[1]}` : 'Replay a→b';
}

function render() {
  const r = st.run;
  if (!r) return;
  if (st.shownState !== `${r.id}/${r.state}`) {
    st.shownState = `${r.id}/${r.state}`;
    loadRuns().catch(() => {});
  }
  $('run-id').textContent = `run ${r.id}${r.forked_from ? ` (fork of ${r.forked_from})` : ''} seed ${r.seed}`;
  const s = $('run-state');
  s.textContent = r.state;
  s.className = `badge ${r.state}`;
  $('vtime').textContent = `${fmtT(r.now_ns)} / ${fmtT(r.end_ns)}`;
  // A run whose worker died before its trace was written has no events:
  // its timeline says so, and it has no digest to show (that of an empty
  // trace would look like one).
  const lost = r.state === 'finished' && r.error && r.max_seq === 0;
  $('digest').textContent = r.state === 'finished' && !lost ? r.digest : '-';
  $('digest').title = lost ? '' : r.digest || '';
  const done = r.state === 'finished';
  for (const b of ['pause', 'resume', 'step', 'step10', 'advance', 'finish']) $(b).disabled = done;
  $('export').disabled = false;
  $('share').disabled = false;
  $('delete').disabled = false;
  $('pause').disabled = done || r.state !== 'running';
  $('resume').disabled = done || r.state === 'running';
  const slider = $('slider');
  slider.max = String(r.max_seq);
  if (document.activeElement !== slider) slider.value = String(r.seq);
  $('slider-label').textContent = lost ? 'no events: they were lost with the worker' : `event ${r.seq} / ${r.max_seq}`;
  $('slider-label').title = lost ? r.error : '';
  $('rewound').hidden = !r.rewound;
  topo.setLive(r.state === 'running');
  topo.setNodes(r.nodes || []);
  renderChecks(r);
  const acts = $('actions');
  acts.textContent = '';
  for (const a of r.actions || []) {
    const li = document.createElement('li');
    // A pick of the message delivered next is a schedule decision.
    li.textContent = a.decision ? `event ${a.seq}: ${a.decision} (picked by hand)` : `${fmtT(a.at_ns)} ${JSON.stringify(a.fault)}`;
    acts.append(li);
  }
  refreshLamport(r);
  next.show(r);
  explorer.update(r, editor.get(), st.graph && st.graph.run === r.id ? st.graph.g : null);
  if (topo.inspected && r.state !== 'running') inspect(topo.inspected);
  tour.update(r);
  markDrawn();
}

function renderChecks(r) {
  const tb = $('checks').tBodies[0];
  tb.textContent = '';
  const names = Object.keys(r.checks || {}).sort();
  if (names.length === 0) {
    const c = tb.insertRow().insertCell();
    c.colSpan = 3;
    c.textContent = r.state === 'finished' ? 'no checks' : 'verdicts so far appear when the run pauses, and every few seconds while it runs';
  }
  if (r.error) {
    // Why the run ended or paused on its own (its worker died, a budget,
    // the disk): said in the page, beside the verdict.
    const er = tb.insertRow();
    er.id = 'run-error';
    const c = er.insertCell();
    c.colSpan = 3;
    c.textContent = `⚠ ${r.state === 'finished' ? 'the run ended' : 'the run stopped'}: ${r.error}`;
  }
  for (const n of names) {
    const c = r.checks[n];
    const tr = tb.insertRow();
    tr.dataset.check = n;
    tr.insertCell().textContent = n;
    const v = tr.insertCell();
    v.textContent = c.verdict;
    v.className = `v-${c.verdict}`;
    const sum = tr.insertCell();
    sum.textContent = `${c.settled ? '' : '(so far) '}${c.summary || ''}`;
    listViolations(sum, c);
  }
  if (r.verdict) {
    const tr = tb.insertRow();
    tr.insertCell().textContent = 'run';
    const v = tr.insertCell();
    v.textContent = r.verdict;
    v.className = `v-${r.verdict}`;
    v.id = 'verdict';
    if ((r.cap_crashes || []).length) {
      // A node crashed on one of this server's caps below the CLI's
      // default: `terrarium run` may give another verdict. Said beside the
      // verdict, not in a tooltip.
      const cc = r.cap_crashes;
      const nr = tb.insertRow();
      nr.id = 'cap-note';
      const c = nr.insertCell();
      c.colSpan = 3;
      const caps = [...new Set(cc.map((x) => `limits.${x.limit} = ${x.server} (terrarium run's default: ${x.cli || 'no limit'})`))];
      c.textContent = `⚠ ${[...new Set(cc.map((x) => x.node))].join(', ')} crashed on this server's cap ${caps.join('; ')}: this verdict may differ from the CLI's. Lower the scenario's need, or ask the operator to raise it (serve --max-limit ${cc[0].limit}=N).`;
    }
    const l = r.limits || {};
    if (Object.keys(l).length > 0) {
      // The limits the run ran under: the scenario's, clamped by the server.
      const mib = (b) => `${Math.round(b / 1048576)} MiB`;
      const lr = tb.insertRow();
      lr.insertCell().textContent = 'limits';
      const c = lr.insertCell();
      c.colSpan = 2;
      c.id = 'run-limits';
      c.className = 'small muted';
      c.textContent = `memory ${mib(l.memory_pages * 65536)}, fuel ${l.fuel}, store ${mib(l.store_bytes)}, events ${l.max_events}, trace ${mib(l.max_trace_bytes)}`;
      c.title = Object.entries(l).map(([k, v]) => `${k}: ${v}`).join('\n');
    }
  }
  tour.checksDrawn();
}

// violationText is how a violation reads: a string as it is, a witness by
// what it shows, anything else as JSON.
function violationText(v) {
  if (typeof v === 'string') return v;
  if (v && typeof v.what === 'string' && Number.isInteger(v.seq)) return v.what;
  return JSON.stringify(v);
}

// pinViolation seeks the run to the event of check's first violation that
// names one the page has seen (as clicking it does) and returns it, or null.
function pinViolation(check) {
  const c = st.run && st.run.checks && st.run.checks[check];
  const d = (c && c.details) || {};
  // details.violations first, then any other list a check names them in
  // (the security checks' unauthorised and acted_on_injected).
  const lists = [d.violations, ...Object.entries(d).filter(([k]) => k !== 'violations').map(([, x]) => x)];
  for (const vs of lists.filter(Array.isArray)) {
    for (const v of vs) {
      const at = violationTarget(v);
      if (at) {
        seek(at.seq, at.seq);
        return { ...at, what: violationText(v) };
      }
    }
  }
  return null;
}

// listViolations lists a check's first violations under its summary; one
// whose event the page has seen is a link that seeks the run there (the
// moment it shows), with the diagram scrolled to that event.
function listViolations(cell, c) {
  const vs = (c.details && Array.isArray(c.details.violations)) ? c.details.violations.slice(0, 5) : [];
  if (!vs.length) return;
  const ul = document.createElement('ul');
  ul.className = 'violations';
  for (const v of vs) {
    const li = document.createElement('li');
    const at = violationTarget(v);
    if (at) {
      const a = document.createElement('a');
      a.href = '#';
      a.className = 'violation';
      a.dataset.seq = String(at.seq);
      a.textContent = violationText(v);
      a.title = `seek the run to event ${at.seq} (t=${fmtT(at.t)}), where this shows`;
      a.onclick = (e) => {
        e.preventDefault();
        seek(at.seq, at.seq);
      };
      li.append(a);
    } else {
      li.textContent = violationText(v);
    }
    ul.append(li);
  }
  cell.append(ul);
}

// The diagram is the run report's own Lamport renderer, drawn by the server
// for the run as it is now; refreshed when the run stops moving, and at most
// every 3 s while it runs (up to 200,000 events).
// The position is the run, its generation, its event and whether it has
// finished: a run's last live diagram and its final one can be at one
// event, and the final one must replace it (else the page keeps showing
// "(live) · unknown" for a finished run).
const lamportKey = (r) => `${r.id}/${r.generation}/${r.seq}/${r.state === 'finished' ? 'final' : 'live'}`;
// A run sought to a violation opens the diagram at that event; a run
// that has not finished (stepped, advanced, sought back by the slider)
// opens it at its last event, so that a Step shows the event it ran.
function lamportSrc(r) {
  const base = `/api/v1/runs/${r.id}/files/lamport.html?seq=${r.seq}${r.state === 'finished' ? '&final=1' : ''}`;
  if (st.focusSeq && r.rewound && r.seq >= st.focusSeq) return `${base}#%23${st.focusSeq}`;
  return r.state !== 'finished' && r.seq > 0 ? `${base}#%23${r.seq}` : base;
}

function refreshLamport(r) {
  $('lamport-open').href = lamportSrc(r);
  if (lamportKey(r) === st.lamportAt) return;
  const load = async () => {
    if (!st.run) return;
    const run = st.run;
    st.lamportAt = lamportKey(run);
    $('lamport-open').hidden = false;
    if (run.state === 'finished' && run.error) {
      // A run that ended on its own (its worker died) may have written no
      // diagram: the frame then stays empty, not a JSON error page.
      // Bounded: a read that waits on the dead worker must not leave the
      // frame's link up with nothing in the frame (seen once in lab.mjs).
      const head = await fetch(lamportSrc(run), { method: 'HEAD', signal: AbortSignal.timeout(10000) }).catch(() => null);
      if (st.run !== run) return;
      if (!head || !head.ok) {
        $('lamport').src = 'about:blank';
        $('lamport-open').hidden = true;
        return;
      }
    }
    $('lamport').src = lamportSrc(run);
  };
  if (r.state !== 'running') {
    clearTimeout(st.lamportTimer);
    st.lamportTimer = 0;
    load();
  } else if (!st.lamportTimer) {
    // A big run's live diagram takes the page's main thread for half a
    // second or more to draw and shows little while it races: past
    // 200,000 events it is drawn when the run pauses or finishes.
    if (r.max_seq > 200000) {
      $('lamport-open').title = 'the diagram is drawn when the run pauses or finishes (over 200,000 events)';
      return;
    }
    // A run just opened (started, reloaded) is drawn at once; then at
    // most every 3 s (the frame stayed blank for those 3 s).
    st.lamportTimer = setTimeout(() => {
      st.lamportTimer = 0;
      load();
    }, st.lamportAt === null ? 0 : 3000);
  }
}

async function exportRun() {
  if (!st.run) return;
  try {
    const text = await api('GET', `/runs/${st.run.id}/export`, undefined, undefined, 'text');
    $('export-text').textContent = text;
    $('export-digest').textContent = st.run.digest || '';
    const name = `${st.run.id}.yaml`;
    $('export-cmd').textContent = `terrarium run ${name}`;
    const a = $('export-download');
    a.download = name;
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
    $('export-zip').href = `/api/v1/runs/${st.run.id}/export?format=zip`;
    $('exportdlg').showModal();
  } catch (err) {
    showError(err);
  }
}

// shareRun shows the run's permanent link (share.js).
async function shareRun() {
  if (!st.run) return;
  try {
    const text = await api('GET', `/runs/${st.run.id}/export?format=share`, undefined, undefined, 'text');
    $('share-link').value = await shareLink(text, st.run.seq);
    $('share-seq').textContent = String(st.run.seq);
    $('sharedlg').showModal();
    $('share-link').select();
  } catch (err) {
    showError(err);
  }
}

// openAt puts text in the editor and opens a new run of it, paused at
// event seq: what a link or an imported bundle restores.
async function openAt(text, seq, label) {
  editor.set(text);
  setOrigin({ label, name: scenarioName(text) });
  $('seed').value = '';
  const run = await api('POST', '/runs', { scenario: text, seq, start: false });
  attach(run);
  flash(`${label}: run ${run.id} at event ${run.seq}`);
}

// openScenario puts a job's scenario in the editor (keeping the pattern it
// came from, so its module paths resolve as before) and opens a run of it
// with seed, paused at its start; graph, if given, is the explorer's.
async function openScenario(text, seed, label, origin, graph) {
  editor.set(text);
  const body = { scenario: text, seed, start: false };
  if (origin && origin.pattern) {
    setOrigin({ pattern: origin.pattern, file: origin.file, name: scenarioName(text) });
    body.pattern = origin.pattern;
    body.name = origin.file;
  } else {
    setOrigin({ label, name: scenarioName(text) });
  }
  $('seed').value = String(seed);
  try {
    const run = await api('POST', '/runs', body);
    st.graph = graph ? { run: run.id, g: graph } : null;
    attach(run);
    flash(`${label}: run ${run.id}, paused at its start: Finish runs it to its verdict`);
  } catch (err) {
    if (err instanceof ApiError && err.problems) editor.showProblems(err.problems);
    if (!(await showCapacity(err, () => openScenario(text, seed, label, origin, graph)))) showError(err);
  }
}

async function importBundle(file) {
  try {
    const imp = await api('POST', '/bundles', await file.arrayBuffer(), 'application/zip');
    await openAt(imp.scenario, imp.position.seq, `imported ${file.name}`);
    await loadModules();
  } catch (err) {
    if (!(await showCapacity(err, () => importBundle(file)))) showError(err);
  }
}

async function openRun(id) {
  try {
    const run = await api('GET', `/runs/${id}`);
    attach(run);
    await loadSource(run);
  } catch (err) {
    showError(err);
  }
}

// loadSource fills the editor with the scenario a run was made from, so
// that editing, Run and "Replay this seed" start from that run.
async function loadSource(run) {
  const src = await api('GET', `/runs/${run.id}/source`);
  editor.set(src.text);
  setOrigin(src.pattern ? { pattern: src.pattern, file: src.file, name: scenarioName(src.text) }
    : { label: `${src.name} (run ${run.id.slice(0, 6)})`, name: scenarioName(src.text) });
  $('seed').value = '';
}

// ---- wiring ----

function wire() {
  setInterval(pollStatus, 1000);
  $('run').onclick = () => startRun($('seed').value);
  $('replay').onclick = () => startRun(st.lastSeed ?? $('seed').value);
  $('pause').onclick = () => control({ action: 'pause' });
  $('resume').onclick = () => control({ action: 'resume', speed: Number($('speed').value) });
  $('step').onclick = () => control({ action: 'step', events: 1 });
  $('step10').onclick = () => control({ action: 'advance', to: '+10ms' });
  $('advance').onclick = () => control({ action: 'advance', to: $('advance-to').value.trim() });
  $('finish').onclick = () => control({ action: 'finish' });
  $('speed').onchange = () => control({ action: 'speed', speed: Number($('speed').value) });
  $('export').onclick = exportRun;
  $('share').onclick = shareRun;
  $('share-close').onclick = () => $('sharedlg').close();
  $('share-copy').onclick = () => navigator.clipboard.writeText($('share-link').value).then(() => flash('link copied'), showError);
  $('import').onchange = (e) => { if (e.target.files[0]) importBundle(e.target.files[0]); e.target.value = ''; };
  $('delete').onclick = () => { if (st.run) deleteRun(st.run.id).catch(showError); };
  $('capacity-close').onclick = hideCapacity;
  $('upload-next-close').onclick = hideUploadHint;
  $('scenario').addEventListener('input', editorChanged);
  $('export-close').onclick = () => $('exportdlg').close();
  $('slider').onchange = (e) => seek(Number(e.target.value));
  $('slider').oninput = (e) => { $('slider-label').textContent = `event ${e.target.value} / ${st.run ? st.run.max_seq : 0}`; };
  $('upload').onchange = (e) => { if (e.target.files[0]) uploadFile(e.target.files[0]); e.target.value = ''; };
  $('partition').onclick = () => {
    const sel = topo.selected;
    const rest = topo.nodeNames().filter((n) => !sel.includes(n));
    if (rest.length === 0) return flash('select some nodes, not all', true);
    applyFault({ action: 'partition', groups: [sel, rest] });
  };
  $('heal').onclick = () => applyFault({ action: 'repair' });
  $('hold').onclick = () => applyFault({ action: 'hold', from: [topo.selected[0]], to: [topo.selected[1]] });
  $('release').onclick = () => applyFault({ action: 'release', from: [topo.selected[0]], to: [topo.selected[1]] });
  // the adversary (docs/ABI.md, "Attacker"): its actions are faults too
  $('adv-tap').onclick = () => applyFault({ action: 'eavesdrop', from: [topo.selected[0]], to: [topo.selected[1]] });
  $('adv-replay').onclick = () => applyFault({ action: 'replay', from: [topo.selected[0]], to: [topo.selected[1]] });
  $('adv-secure').onclick = () => applyFault({ action: 'secure' });
  $('clearsel').onclick = () => topo.clearSelection();
  $('token').onchange = (e) => setToken(e.target.value);
  $('runs-refresh').onclick = () => loadRuns().catch(showError);
  $('tour-open').onclick = () => tour.open(st.origin && st.origin.pattern && tour.tours.has(st.origin.pattern) ? st.origin.pattern : 'twopc', 0);
}

async function main() {
  wire();
  // Nothing to drive until there is a run.
  for (const b of ['pause', 'resume', 'step', 'step10', 'advance', 'finish', 'export', 'share', 'delete']) $(b).disabled = true;
  $('run-id').textContent = 'no run yet: pick a pattern (or write a scenario) and press Run';
  try {
    const h = await api('GET', '/health');
    $('tokenbox').hidden = !h.token_required;
    await Promise.all([loadGallery(), loadModules(), loadRuns()]);
    const m = location.pathname.match(/^\/runs\/([A-Za-z0-9-]+)/);
    const shared = await readShare(location.hash).catch(() => null);
    if (shared) await openAt(shared.text, shared.seq, 'shared link').catch(showError);
    else if (m) await openRun(m[1]);
    else await loadPatternFile('twopc', 'scenario.yaml').catch(() => {});
    tour.firstVisit();
  } catch (err) {
    showError(err);
  }
  document.body.dataset.ready = '1';
}

main();
