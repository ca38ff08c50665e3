// The guided tour player: plays a pattern's tour (plugins/<name>/tour.yaml,
// served as the pattern's `tour`) step by step in a panel above the editor.
// A step loads its scenario into the editor; "Run this step" runs it (and,
// for a limitation, its baseline beside it), applies the step's fault when
// the user presses its button, then shows what to look for: the check's
// figures (the baseline's beside them, those that differ highlighted), the
// check's first violation or an emitted event, pinned (the run seeks there
// and the diagram opens at it).
//
// app.js owns the page; it hands the player a few hooks (load, run,
// control, fault, seek, pinViolation, current) and calls update(run) on
// every status and event(e) on every trace event.
import { api } from './api.js';
import { markdown } from './md.js';

const SEEN = 'terrarium-tour-seen';
const fmtMS = (ns) => `${(ns / 1e6).toFixed(ns % 1e6 ? 1 : 0)} ms`;

// figure reads a dotted path ("lag_ms.p95") from a check's details.
function figure(details, path) {
  let v = details;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(k in v)) return undefined;
    v = v[k];
  }
  return v;
}

function fmt(v) {
  if (v === undefined) return '—';
  if (typeof v === 'number' && !Number.isInteger(v)) return Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(1);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// matches reports whether an emitted trace event is the one pin names.
function matches(e, pin) {
  if (e.kind !== 'emit' || e.label !== pin.label) return false;
  for (const [k, want] of Object.entries(pin.data || {})) {
    if (!e.data || typeof e.data !== 'object' || JSON.stringify(e.data[k]) !== JSON.stringify(want)) return false;
  }
  return true;
}

export class TourPlayer {
  constructor(root, hooks) {
    this.root = root;
    this.h = hooks;
    this.tours = new Map(); // pattern name -> {title, steps}
    this.reset();
  }

  reset() {
    this.runId = null;     // the step's run
    this.base = null;      // the baseline's finished status
    this.phase = 'idle';   // idle, starting, waiting (for the action), playing, done
    this.acted = false;
    this.pinned = null;    // {what, seq, t}
    this.eventAt = null;   // the first event matching look.event
    this.pinTries = 0;
    this.pinFailed = false;
    this.adopted = false;
    delete document.body.dataset.tourPinned;
    delete document.body.dataset.tourActed;
  }

  // add registers a pattern's tour (from GET /patterns).
  add(name, tour) { if (tour && tour.steps && tour.steps.length) this.tours.set(name, tour); }

  // firstVisit opens the Two-Phase Commit tour when this browser has never
  // seen a tour and the page was opened plain (not a run, a link or ?notour).
  firstVisit() {
    const plain = location.pathname === '/' && !location.hash && !new URLSearchParams(location.search).has('notour');
    if (plain && !localStorage.getItem(SEEN) && this.tours.has('twopc')) this.open('twopc', 0);
  }

  open(name, i = 0) {
    localStorage.setItem(SEEN, '1');
    this.pattern = name;
    this.tour = this.tours.get(name);
    document.body.dataset.tour = name;
    this.show(i);
  }

  close() {
    this.tour = null;
    this.reset();
    this.root.hidden = true;
    this.root.textContent = '';
    delete document.body.dataset.tour;
    delete document.body.dataset.tourStep;
    document.querySelectorAll('#checks .tour-look').forEach((el) => el.classList.remove('tour-look'));
  }

  get step() { return this.tour.steps[this.i]; }

  // show renders step i and loads its scenario into the editor.
  show(i) {
    this.i = Math.max(0, Math.min(i, this.tour.steps.length - 1));
    this.reset();
    document.body.dataset.tourStep = String(this.i + 1);
    this.root.hidden = false;
    this.render();
    this.h.load(this.pattern, this.step.scenario).catch((err) => this.say(String(err), true));
  }

  render() {
    const s = this.step;
    const n = this.tour.steps.length;
    this.root.innerHTML = `<div class="tour-head"><b class="tour-title"></b>
      <span class="tour-count"></span>
      <button class="tour-close" title="Close the tour (reopen it with the pattern's tour button)">✕</button></div>
      <h4 class="tour-step"></h4><div class="tour-text md"></div>
      <div class="tour-buttons"><button class="tour-back">◀ Back</button>
      <button class="tour-run primary"></button><button class="tour-act" hidden></button>
      <button class="tour-next">Next ▶</button><span class="tour-status small muted"></span></div>
      <div class="tour-look"></div>`;
    const q = (c) => this.root.querySelector(c);
    q('.tour-title').textContent = `Tour: ${this.tour.title}`;
    q('.tour-count').textContent = `step ${this.i + 1} of ${n}`;
    q('.tour-step').textContent = s.title;
    q('.tour-text').innerHTML = markdown(s.text);
    q('.tour-close').onclick = () => this.close();
    q('.tour-back').disabled = this.i === 0;
    q('.tour-back').onclick = () => this.show(this.i - 1);
    q('.tour-next').textContent = this.i === n - 1 ? 'Finish tour' : 'Next ▶';
    q('.tour-next').onclick = () => (this.i === n - 1 ? this.close() : this.show(this.i + 1));
    q('.tour-run').textContent = s.baseline ? `Run ${s.scenario} beside ${s.baseline}` : `Run ${s.scenario}`;
    q('.tour-run').onclick = () => this.run().catch((err) => { this.phase = 'idle'; this.say(String(err.message || err), true); });
    if (s.action) {
      const act = q('.tour-act');
      act.hidden = false;
      act.disabled = true;
      act.textContent = s.action.label;
      act.title = `${JSON.stringify(s.action.fault)}${s.action.now ? ', when you press it' : `, at ${fmtMS(s.action.at_ns)}`}`;
      act.onclick = () => this.act().catch((err) => this.say(String(err.message || err), true));
    }
    this.say('press the green button to run this step (or the Run button below)');
  }

  say(msg, isError) {
    const el = this.root.querySelector('.tour-status');
    if (!el) return;
    el.textContent = msg;
    el.classList.toggle('error', !!isError);
  }

  // run starts the step: the baseline first (to its end, beside), then
  // the step's own run, paused at the action's time if it has one.
  async run() {
    const s = this.step;
    this.reset();
    this.phase = 'starting';
    this.root.querySelector('.tour-run').disabled = true;
    this.renderLook(null);
    await this.h.load(this.pattern, s.scenario);
    if (s.baseline) {
      this.say(`running the baseline ${s.baseline} to its end…`);
      await this.runBaseline();
    }
    const wait = s.action && !s.action.now;
    const run = await this.h.run(!wait);
    if (!run) throw new Error('the run did not start (see the message above the editor)');
    this.runId = run.id;
    if (wait) {
      this.say(`going to ${fmtMS(s.action.at_ns)}…`);
      await this.h.control({ action: 'advance', to: `${s.action.at_ns / 1e6}ms` });
      this.phase = 'waiting';
      this.say(`paused at ${fmtMS(s.action.at_ns)}: press “${s.action.label}”`);
    } else {
      this.phase = 'playing';
      this.say(s.action ? `running: press “${s.action.label}” while it plays` : 'running…');
    }
    this.update(this.h.current());
  }

  // act applies the step's fault now, then lets a paused run play on.
  async act() {
    const a = this.step.action;
    const r = this.h.current();
    if (!r || r.id !== this.runId || r.state === 'finished') return;
    await this.h.fault(a.fault);
    this.acted = true;
    const now = this.h.current();
    document.body.dataset.tourActed = String(now ? now.now_ns : 0);
    if (this.phase === 'waiting') {
      this.phase = 'playing';
      await this.h.control({ action: 'resume', speed: this.h.speed() });
    }
    this.say(`${a.label.replace(/ now$/, '')}: applied at ${fmtMS(now ? now.now_ns : 0)}; running to the end…`);
    this.update(this.h.current());
  }

  // update follows the step's run (app.js calls it on every status).
  update(r) {
    if (this.tour && r && !this.runId && this.phase === 'idle') this.adopt(r);
    if (!this.tour || !this.runId || !r || r.id !== this.runId) return;
    if (this.phase === 'done') this.mark();
    const act = this.root.querySelector('.tour-act');
    const now = this.step.action && (this.step.action.now || this.adopted);
    if (act) act.disabled = this.acted || r.state === 'finished' || !(this.phase === 'waiting' || (this.phase === 'playing' && now));
    if (r.state !== 'finished') return;
    if (this.phase !== 'done') {
      this.phase = 'done';
      this.root.querySelector('.tour-run').disabled = false;
      this.say(this.step.action && !this.acted ? `finished without “${this.step.action.label}”: run again to press it` : 'finished: look below');
    }
    this.renderLook(r);
    this.pin(r);
  }

  // adopt follows a run of the step's scenario started with the page's own
  // Run button: its fault button then applies at once, and a baseline is
  // run beside it.
  adopt(r) {
    const o = this.h.origin();
    // Not a run of the step's file edited: the step's text and figures
    // would describe another scenario.
    if (!o || o.edited || o.pattern !== this.pattern || o.file !== this.step.scenario || r.state === 'finished') return;
    this.runId = r.id;
    this.adopted = true;
    this.phase = 'playing';
    this.root.querySelector('.tour-run').disabled = true;
    this.say(this.step.action ? `running: press “${this.step.action.label}” while it plays` : 'running…');
    if (this.step.baseline) this.runBaseline().then(() => this.update(this.h.current())).catch((err) => this.say(String(err.message || err), true));
  }

  async runBaseline() {
    const s = this.step;
    const p = await api('GET', `/patterns/${this.pattern}`);
    const b = await api('POST', '/runs', { scenario: p.contents[s.baseline], pattern: this.pattern, name: s.baseline, start: false });
    this.base = await api('POST', `/runs/${b.id}/control`, { action: 'finish' });
  }

  // event sees every trace event of the page's run (app.js calls it).
  event(e) {
    const pin = this.tour && this.runId && this.step.look.event;
    if (pin && !this.eventAt && matches(e, pin)) {
      this.eventAt = { seq: e.seq, t: e.t };
      const r = this.h.current();
      if (r && r.state === 'finished') this.pin(r);
    }
  }

  // pin seeks the run to the violation or event the step looks for, once.
  pin(r) {
    const look = this.step.look;
    if (this.pinned || (!look.violation && !look.event)) return;
    let at = null;
    if (look.violation) at = this.h.pinViolation(look.check);
    // An event to pin: alone, or where the violation names none (after two
    // seconds of looking for it).
    if (!at && this.eventAt && (!look.violation || this.pinTries >= 8)) {
      at = { ...this.eventAt, what: `${look.event.label} ${JSON.stringify(look.event.data || {})}` };
      this.h.seek(at.seq);
    }
    if (!at) {
      // The events the violation names may still be streaming in.
      if (this.pinTries++ < 40) setTimeout(() => this.pin(this.h.current() || r), 250);
      else if (!this.pinFailed) { this.pinFailed = true; this.renderLook(r); }
      return;
    }
    this.pinned = at;
    document.body.dataset.tourPinned = String(at.seq);
    this.renderLook(r);
  }

  // checksDrawn marks the checks table again after the page redrew it
  // (app.js's renderChecks, on a status or once the trace has caught up).
  checksDrawn() {
    if (this.tour && this.runId && this.phase === 'done') this.mark();
  }

  // mark highlights, in the checks table (redrawn on every status), the
  // check to look at and the violation pinned.
  mark() {
    const row = document.querySelector(`#checks tr[data-check="${this.step.look.check}"]`);
    if (row) row.classList.add('tour-look');
    if (this.pinned) document.querySelectorAll(`#checks a.violation[data-seq="${this.pinned.seq}"]`).forEach((a) => a.classList.add('tour-pin'));
  }

  // renderLook shows the step's figures: one column, or the baseline's
  // and this run's side by side with the differing ones highlighted.
  renderLook(r) {
    const box = this.root.querySelector('.tour-look');
    if (!box) return;
    document.querySelectorAll('#checks .tour-look').forEach((el) => el.classList.remove('tour-look'));
    if (!r) { box.textContent = ''; return; }
    const look = this.step.look;
    this.mark();
    const cols = [];
    if (this.base) cols.push({ name: this.step.baseline, run: this.base, cls: 'base' });
    cols.push({ name: this.step.scenario, run: r, cls: 'this' });
    const t = document.createElement('table');
    t.className = `tour-figures${this.base ? ' side' : ''}`;
    const head = t.insertRow();
    head.insertCell().textContent = look.check;
    for (const c of cols) { const td = head.insertCell(); td.textContent = c.name; td.className = c.cls; }
    const verdict = t.insertRow();
    verdict.insertCell().textContent = 'verdict';
    for (const c of cols) {
      const v = (c.run.checks || {})[look.check];
      const td = verdict.insertCell();
      td.textContent = v ? v.verdict : '—';
      td.className = `${c.cls} v-${v ? v.verdict : 'unknown'}`;
    }
    let differ = 0;
    for (const f of look.figures || []) {
      const tr = t.insertRow();
      tr.dataset.figure = f;
      tr.insertCell().textContent = f;
      const vals = cols.map((c) => figure(((c.run.checks || {})[look.check] || {}).details, f));
      const differs = this.base && fmt(vals[0]) !== fmt(vals[1]);
      if (differs) { tr.classList.add('differs'); differ++; }
      vals.forEach((v, k) => { const td = tr.insertCell(); td.textContent = fmt(v); td.className = cols[k].cls; });
    }
    box.textContent = '';
    const h = document.createElement('div');
    h.className = 'small';
    h.textContent = this.base ? `Left the baseline, right this step's run: ${differ} figure${differ === 1 ? '' : 's'} differ (highlighted).` : 'Look at:';
    box.append(h, t);
    if (this.pinned) {
      const p = document.createElement('div');
      p.className = 'tour-pinned';
      p.textContent = `Pinned to event ${this.pinned.seq} (t=${fmtMS(this.pinned.t)}): ${this.pinned.what}`;
      box.append(p);
    } else if (look.violation && r.checks && r.checks[look.check] && r.checks[look.check].verdict === 'invalid') {
      const p = document.createElement('div');
      p.className = 'tour-pinned pending';
      const sum = r.checks[look.check].summary || '';
      p.textContent = this.pinFailed ? `the violation names no event this page can pin; it reads: ${sum}` : `finding the event of the first violation: ${sum}`;
      box.append(p);
    }
  }
}
