// The explorer: for a run whose scenario has a schedule:, its decisions
// as a list to step through (each step seeks the run to the event the
// decision dispatched, and the diagram opens there), and the state graph
// around the run's path: states as nodes by state hash, choices as edges,
// the options not taken at the last branching points drawn below the
// path. It follows Stateright's explorer (src/checker/explorer.rs: a
// state, the actions it enables, the path that reaches a violation).
import { api } from './api.js';

const NS = 'http://www.w3.org/2000/svg';
const SHOWN = 40; // path states drawn, the last ones
const GAP = 56;

const el = (tag, attrs, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

export class ExplorerView {
  // box holds the view; hooks.seek(seq) moves the run; hooks.error(err).
  constructor(box, hooks) {
    this.box = box;
    this.hooks = hooks;
    this.runID = null;
    this.graph = null;
    this.at = -1;
    this.list = box.querySelector('#explorer-decisions');
    this.svg = box.querySelector('#explorer-graph');
    this.status = box.querySelector('#explorer-status');
    box.querySelector('#explorer-prev').onclick = () => this.step(this.at - 1);
    box.querySelector('#explorer-next').onclick = () => this.step(this.at + 1);
  }

  // update shows the explorer for run r, whose scenario text is text: a
  // graph handed over (an explore's found schedule) or recorded by a
  // graph job when the text has a schedule:.
  update(r, text, graph) {
    if (!r) {
      this.runID = null;
      this.key = null;
      this.box.hidden = true;
      return;
    }
    const key = `${r.id}|${/^schedule:/m.test(text || '')}|${!!graph}`;
    if (key === this.key) return;
    this.key = key;
    this.runID = r.id;
    this.at = -1;
    this.graph = null;
    if (graph) return this.show(graph);
    if (!/^schedule:/m.test(text || '')) {
      this.box.hidden = true;
      return;
    }
    this.box.hidden = false;
    this.status.textContent = 'recording the state graph around this schedule...';
    this.record(r, text);
  }

  async record(r, text) {
    const id = r.id;
    try {
      let job = await api('POST', '/jobs', { kind: 'graph', scenario: text, seed: r.seed });
      while (job.state === 'running') {
        await new Promise((ok) => setTimeout(ok, 300));
        if (this.runID !== id) return;
        job = await api('GET', `/jobs/${job.id}`);
      }
      if (this.runID !== id) return;
      if (job.state !== 'done') throw new Error(job.error || job.state);
      this.show(job.result.graph);
    } catch (err) {
      this.status.textContent = `no graph: ${err.message}`;
    }
  }

  show(g) {
    this.graph = g;
    this.box.hidden = false;
    this.status.textContent = `${g.decisions.length} decision${g.decisions.length === 1 ? '' : 's'}, ${g.nodes.length} states, verdict ${g.verdict}`;
    this.list.textContent = '';
    g.decisions.forEach((d, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.className = 'decision';
      b.dataset.i = String(i);
      b.textContent = d.decision;
      b.title = `seek to event ${d.seq}: ${d.label}`;
      b.onclick = () => this.step(i);
      const lab = document.createElement('span');
      lab.className = 'small muted';
      lab.textContent = ` event ${d.seq}: ${d.label}`;
      li.append(b, lab);
      this.list.append(li);
    });
    this.draw();
  }

  // step moves the run to decision i's event and highlights it.
  step(i) {
    const g = this.graph;
    if (!g || i < 0 || i >= g.decisions.length) return;
    this.at = i;
    for (const b of this.list.querySelectorAll('button.decision')) b.classList.toggle('current', Number(b.dataset.i) === i);
    this.draw();
    this.hooks.seek(g.decisions[i].seq);
  }

  // layout places the path's last states in a row and each option not
  // taken below the state it leaves.
  layout() {
    const g = this.graph;
    const path = g.nodes.filter((n) => n.path);
    const shown = path.slice(-SHOWN);
    const pos = new Map();
    shown.forEach((n, k) => pos.set(n.id, { x: 30 + k * GAP, y: 30 }));
    const below = new Map();
    for (const e of g.edges) {
      if (e.path || !pos.has(e.from) || pos.has(e.to)) continue;
      const p = pos.get(e.from);
      const k = (below.get(e.from) || 0) + 1;
      below.set(e.from, k);
      pos.set(e.to, { x: p.x + 14, y: p.y + 46 * k });
    }
    return { pos, cut: path.length - shown.length };
  }

  draw() {
    const g = this.graph;
    const svg = this.svg;
    svg.textContent = '';
    const { pos, cut } = this.layout();
    let w = 60;
    let h = 60;
    for (const p of pos.values()) { w = Math.max(w, p.x + 40); h = Math.max(h, p.y + 30); }
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    const cur = this.at >= 0 ? g.decisions[this.at].state : null;
    for (const e of g.edges) {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (!a || !b) continue;
      const cls = `edge${e.path ? ' path' : ''}${e.decision && e.path ? ' chosen' : ''}`;
      const line = el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: cls });
      line.append(el('title', {}, `${e.label}${e.decision ? ` (${e.decision})` : ' (default)'}`));
      svg.append(line);
    }
    const byID = new Map(g.nodes.map((n) => [n.id, n]));
    for (const [id, p] of pos) {
      const n = byID.get(id);
      const cls = `state${n.path ? ' path' : ''}${n.end ? ' end' : ''}${n.failing ? ' failing' : ''}${id === cur ? ' current' : ''}`;
      const c = el('circle', { cx: p.x, cy: p.y, r: n.end ? 8 : 6, class: cls, 'data-id': id });
      c.append(el('title', {}, n.end ? `end of a run (${n.failing ? 'fails' : 'passes'})` : `state ${id} at event ${n.seq}`));
      svg.append(c);
      if (n.path && !n.end) svg.append(el('text', { x: p.x, y: p.y - 10, class: 'seq' }, String(n.seq)));
    }
    if (cut > 0) svg.append(el('text', { x: 4, y: 12, class: 'seq' }, `… ${cut} earlier`));
  }
}
