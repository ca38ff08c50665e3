// Step by message: in a paused run, the events due at the next instant
// are buttons, and pressing one delivers it next (the server records the
// pick as a schedule decision, so export and replay take it again). The
// messages further on their way are listed below, soonest first. The
// shape follows Stateright's explorer (src/checker/explorer.rs, states:
// the actions a state enables, each one a step a person can take).
import { api } from './api.js';

const fmtT = (ns) => (ns / 1e6).toFixed(3) + 'ms';

export class NextPanel {
  // box: the panel's element; hooks.picked(status) is told the run's
  // status after a pick, hooks.error(err) of a failure, hooks.inFlight(v)
  // of each listing (null when there is none: the run plays or ended).
  constructor(box, hooks) {
    this.box = box;
    this.hooks = hooks;
    this.shown = null; // the run position the panel lists
  }

  reset(msg) {
    this.shown = null;
    if (this.hooks.inFlight) this.hooks.inFlight(null);
    this.box.textContent = msg;
    this.box.className = 'muted small';
  }

  // show lists what run r may do next; only a paused run offers picks.
  async show(r) {
    if (!r || r.state === 'finished') return this.reset(r ? 'the run has finished' : 'no run');
    if (r.state === 'running') return this.reset('pause the run to choose which message is delivered next');
    const key = `${r.id}/${r.generation}/${r.seq}/${r.steps}`;
    if (key === this.shown) return;
    this.shown = key;
    let v;
    try {
      v = await api('GET', `/runs/${r.id}/next`);
    } catch (err) {
      this.shown = null;
      return this.reset(`nothing to choose: ${err.message}`);
    }
    if (this.shown !== key) return; // a newer position is on its way
    if (this.hooks.inFlight) this.hooks.inFlight(v);
    this.render(r, v);
  }

  render(r, v) {
    const box = this.box;
    box.className = '';
    box.textContent = '';
    const head = document.createElement('div');
    head.className = 'small muted';
    head.textContent = v.due.length > 1
      ? `${v.due.length} events are due at ${fmtT(v.due_at_ns)}: pick the one that goes next (event step ${v.step})`
      : v.due.length === 1 ? 'one event is due next: Step runs it' : 'nothing is due';
    box.append(head);
    const ol = document.createElement('ol');
    ol.id = 'next-due';
    ol.start = 0;
    for (const e of v.due) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.className = `pick ${e.kind}`;
      b.dataset.pick = String(e.pick);
      b.textContent = e.label;
      b.title = e.pick === 0 ? 'the loop\'s own order: deliver this one next' : `deliver this one first (recorded as "order ${v.step} ${e.pick}")`;
      b.disabled = r.rewound || v.due.length < 2;
      b.onclick = () => this.pick(r, e.pick);
      li.append(b);
      ol.append(li);
    }
    box.append(ol);
    if (r.rewound && v.due.length > 1) {
      const w = document.createElement('div');
      w.className = 'small muted';
      w.textContent = 'rewound: fork the run here (act on a node) to choose differently';
      box.append(w);
    }
    const later = v.in_flight.filter((m) => !m.due);
    if (later.length) {
      const h = document.createElement('div');
      h.className = 'small muted';
      h.textContent = `in flight, due later (${later.length}${v.in_flight.length >= 200 ? '+' : ''})`;
      const ul = document.createElement('ul');
      ul.id = 'next-inflight';
      ul.className = 'plain mono small';
      for (const m of later.slice(0, 12)) {
        const li = document.createElement('li');
        li.textContent = `${fmtT(m.at_ns)} ${m.from}→${m.to} #${m.msg}`;
        ul.append(li);
      }
      box.append(h, ul);
    }
  }

  async pick(r, pick) {
    try {
      const s = await api('POST', `/runs/${r.id}/next`, { pick });
      this.hooks.picked(s);
    } catch (err) {
      this.hooks.error(err);
    }
  }
}
