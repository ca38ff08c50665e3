// The topology view: nodes on a circle (on a grid past 24 nodes, so that
// 100 stay legible), coloured by state (running, crashed, paused). Only the
// links that carried a message so far are drawn (and those a fault marks):
// cut by partitions dashed red, held links thick amber. A click opens a
// menu of faults for the node; shift-click selects nodes for a partition
// or a hold. Messages delivered while a run plays fly along the links as
// dots (flights.js, bounded work per frame). A node's last state snapshot
// (an emit of key "state", the Go SDK's SetState) is a compact line under
// it and its tooltip; the node's menu shows it whole with its store's keys.
import { Flights } from './flights.js';

// MAX_STILL messages in flight are drawn at a paused moment (the next
// panel's list is up to 200); MAX_SENT sends are remembered for their
// times, the oldest forgotten first.
const MAX_STILL = 200;
const MAX_SENT = 50000;
const NS = 'http://www.w3.org/2000/svg';

// compactState renders a state snapshot on one short line: an object's
// fields as "k v", arrays joined with commas.
export function compactState(v, max = 28) {
  let s;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    s = Object.entries(v).map(([k, x]) => `${k} ${Array.isArray(x) ? (x.length ? x.join(',') : '-') : typeof x === 'object' ? JSON.stringify(x) : x}`).join(' · ');
  } else {
    s = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// shortName fits a node's name in a grid cell.
const shortName = (name) => (name.length > 5 ? `${name.slice(0, 2)}…${name.slice(-2)}` : name);

export class Topology {
  constructor(svg, menu, hooks) {
    this.svg = svg;
    this.menu = menu;
    this.hooks = hooks;
    this.nodes = [];
    this.selected = [];
    this.inspected = null;
    this.live = false; // messages fly only while the run plays
    this.flightLayer = document.createElementNS(NS, 'g');
    this.flightLayer.setAttribute('class', 'flights');
    this.flights = new Flights(this.flightLayer, hooks.note || null);
    // Messages on their way at a paused (or sought) moment, drawn still
    // where they are: a circle each, between sender and receiver by how
    // much of its flight time has gone.
    this.stillLayer = document.createElementNS(NS, 'g');
    this.stillLayer.setAttribute('class', 'in-flight');
    this.still = null; // {now, msgs} of GET /runs/{id}/next, while paused
    this.resetEvents();
    this.pressed = null; // the node a press landed on (clicked)
    svg.addEventListener('pointerdown', (e) => {
      const g = e.target.closest && e.target.closest('g.node');
      this.pressed = g ? g.dataset.node : null;
    });
    svg.addEventListener('pointerup', (e) => this.released(e));
    for (const ev of ['pointerup', 'pointercancel']) {
      document.addEventListener(ev, (e) => { if (!svg.contains(e.target)) this.pressed = null; });
    }
    // A click without a pointer (element.click(), assistive technology)
    // and Enter or Space on a focused node act as a press and release.
    const activate = (e) => {
      const g = e.target.closest && e.target.closest('g.node');
      if (!g) return;
      const r = g.getBoundingClientRect();
      this.pressed = g.dataset.node;
      this.released({ target: g, button: 0, shiftKey: e.shiftKey, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 });
    };
    svg.addEventListener('click', (e) => { if (e.detail === 0) activate(e); }); // detail > 0: a pointer's, pointerup acted
    svg.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      activate(e);
    });
    document.addEventListener('click', (e) => {
      if (!menu.contains(e.target) && !svg.contains(e.target)) menu.hidden = true;
    });
  }

  reset(nodes) {
    this.nodes = nodes.map((n) => ({ ...n }));
    this.selected = [];
    this.inspected = null;
    this.resetEvents();
    this.hooks.selection();
    this.draw();
  }

  resetEvents() {
    this.groups = null;     // the current partition's sides, by name
    this.oneway = [];       // [from[], to[]] pairs
    this.held = new Set();  // "a>b"
    this.tapped = new Set(); // "a>b": links the adversary eavesdrops on or tampers with
    this.doubt = new Map(); // node name -> Set(txn) prepared, not yet applied or released
    this.traffic = new Set(); // "i-j" (i < j): node pairs a message was delivered between
    this.states = new Map(); // node index -> its last state snapshot
    this.sent = new Map(); // msg id -> virtual time sent, while on its way
    if (this.flights) this.flights.reset();
  }

  // setInFlight draws the messages on their way at virtual time now (ns):
  // msgs are GET /runs/{id}/next's in_flight (from, to, at_ns, msg); null
  // clears them (the run plays, or has finished). A message whose send
  // this page has not folded yet is drawn halfway.
  setInFlight(now, msgs) {
    this.still = msgs ? { now, msgs } : null;
    this.drawInFlight();
  }

  drawInFlight() {
    const layer = this.stillLayer;
    if (!layer) return;
    layer.textContent = '';
    if (!this.still) {
      layer.dataset.count = '0';
      return;
    }
    const { now, msgs } = this.still;
    const idx = new Map(this.nodes.map((n, i) => [n.name, i]));
    let n = 0;
    for (const m of msgs.slice(0, MAX_STILL)) {
      const i = idx.get(m.from);
      const j = idx.get(m.to);
      if (i === undefined || j === undefined || i === j) continue; // a client's, or to itself
      const sent = this.sent.get(m.msg);
      const k = sent === undefined || m.at_ns <= sent ? 0.5 : Math.min(1, Math.max(0, (now - sent) / (m.at_ns - sent)));
      // Along the part of the link between the two circles' edges: a
      // message just sent is not hidden under its sender.
      const [ax, ay] = this.pos(i);
      const [bx, by] = this.pos(j);
      const len = Math.hypot(bx - ax, by - ay) || 1;
      const r = Math.min(len / 3, this.nodes.length > 24 ? 8 : 18);
      const [x1, y1] = [ax + ((bx - ax) * r) / len, ay + ((by - ay) * r) / len];
      const [x2, y2] = [bx - ((bx - ax) * r) / len, by - ((by - ay) * r) / len];
      const c = document.createElementNS(NS, 'circle');
      c.setAttribute('r', '3');
      c.setAttribute('class', 'flight still');
      c.setAttribute('cx', String(x1 + (x2 - x1) * k));
      c.setAttribute('cy', String(y1 + (y2 - y1) * k));
      c.dataset.msg = String(m.msg);
      c.dataset.from = m.from;
      c.dataset.to = m.to;
      c.dataset.k = k.toFixed(3);
      const t = document.createElementNS(NS, 'title');
      t.textContent = `${m.label}: due at ${(m.at_ns / 1e6).toFixed(3)}ms`;
      c.append(t);
      layer.append(c);
      n++;
    }
    layer.dataset.count = String(n);
  }

  // setLive says whether the run plays: messages fly only then (not while
  // a finished or sought run's trace is caught up); when it stops, the
  // dots in the air land and the waiting ones are dropped.
  setLive(on) {
    this.live = on;
    if (!on) this.flights.pending = [];
  }

  nodeNames() { return this.nodes.map((n) => n.name); }

  // setNodes takes the nodes of a status; it redraws only if one changed
  // (a status comes every second while a run plays: redrawing 100 nodes
  // each time would replace the element under a user's click).
  setNodes(nodes) {
    const sig = (ns) => ns.map((n) => `${n.name}/${n.state}/${n.role}/${n.reason || ''}`).join('|');
    const before = sig(this.nodes);
    if (nodes.length !== this.nodes.length || nodes.some((n, i) => n.name !== this.nodes[i].name)) {
      this.nodes = nodes.map((n) => ({ ...n }));
    } else {
      nodes.forEach((n, i) => Object.assign(this.nodes[i], n));
    }
    if (sig(this.nodes) !== before || !this.svg.firstChild) this.draw();
  }

  // event folds one trace event into the link and in-doubt state.
  event(e) {
    if (e.kind === 'send' && e.msg !== undefined) {
      this.sent.set(e.msg, e.t);
      if (this.sent.size > MAX_SENT) this.sent.delete(this.sent.keys().next().value); // the oldest
    } else if (e.kind === 'deliver' || e.kind === 'drop') {
      this.sent.delete(e.msg);
    }
    if (e.kind === 'deliver' && e.peer >= 0 && e.peer < this.nodes.length && e.node < this.nodes.length && e.peer !== e.node) {
      const key = `${Math.min(e.node, e.peer)}-${Math.max(e.node, e.peer)}`;
      if (!this.traffic.has(key)) {
        this.traffic.add(key);
        this.dirty();
      }
      if (this.live) this.flights.add(this.pos(e.peer), this.pos(e.node));
    } else if (e.kind === 'emit' && e.label === 'state') {
      if (e.node >= 0 && e.node < this.nodes.length) {
        this.states.set(e.node, e.data);
        this.dirty();
      }
    } else if (e.kind === 'fault' && e.data && typeof e.data === 'object') {
      const f = e.data;
      switch (f.action) {
        case 'partition': this.groups = f.groups; break;
        case 'partition_oneway': this.oneway.push([f.from, f.to]); break;
        case 'repair': this.groups = null; this.oneway = []; break;
        case 'hold': this.held.add(`${f.from[0]}>${f.to[0]}`); break;
        case 'release': this.held.delete(`${f.from[0]}>${f.to[0]}`); break;
        case 'eavesdrop': case 'tamper': this.tapped.add(`${f.from[0]}>${f.to[0]}`); break;
        case 'secure': this.tapped.clear(); break;
        default: break;
      }
      this.dirty();
    } else if (e.kind === 'emit' && e.data && e.data.txn !== undefined) {
      const name = this.nodes[e.node] && this.nodes[e.node].name;
      if (!name) return;
      const s = this.doubt.get(name) || new Set();
      if (e.label === 'prepared') s.add(e.data.txn);
      else if (e.label === 'apply' || e.label === 'release') s.delete(e.data.txn);
      else return;
      this.doubt.set(name, s);
      this.dirty();
    }
  }

  // dirty redraws on the next frame, and at most every 200 ms: a busy
  // run changes state far more often than a person can read it, and a
  // redraw of 100 nodes is not free.
  dirty() {
    if (this.pending) return;
    const wait = Math.max(0, 200 - (performance.now() - (this.drawnAt || 0)));
    this.pending = setTimeout(() => requestAnimationFrame(() => { this.pending = 0; this.draw(); }), wait);
  }

  cut(a, b) {
    if (this.groups) {
      const ga = this.groups.findIndex((g) => g.includes(a));
      const gb = this.groups.findIndex((g) => g.includes(b));
      if (ga >= 0 && gb >= 0 && ga !== gb) return true;
    }
    return this.oneway.some(([f, t]) => (f.includes(a) && t.includes(b)) || (f.includes(b) && t.includes(a)));
  }

  clearSelection() {
    this.selected = [];
    this.hooks.selection();
    this.draw();
  }

  toggle(name) {
    const i = this.selected.indexOf(name);
    if (i >= 0) this.selected.splice(i, 1);
    else this.selected.push(name);
    this.hooks.selection();
    this.draw();
  }

  pos(i) {
    const n = this.nodes.length;
    if (n > 24) {
      // A grid fills the view: columns as wide as the labels need.
      const cols = Math.ceil(Math.sqrt(n * 1.25));
      const rows = Math.ceil(n / cols);
      const dx = 300 / cols;
      const dy = 240 / rows;
      return [-150 + dx * ((i % cols) + 0.5), -120 + dy * (Math.floor(i / cols) + 0.5)];
    }
    const a = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
    // A ring a little above the middle: the bottom node's role and state
    // lines (30 and 40 below its centre) stay inside the view, as the top
    // node's "in doubt" line (21 above) does.
    return [Math.cos(a) * 100, Math.sin(a) * 90 - 4];
  }

  // draw draws the topology now, then tells the page (hooks.drawn).
  draw() {
    this.drawNow();
    if (this.hooks.drawn) this.hooks.drawn();
  }

  drawNow() {
    const svg = this.svg;
    this.drawnAt = performance.now();
    svg.textContent = '';
    const el = (tag, attrs, parent = svg) => {
      const x = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) x.setAttribute(k, v);
      parent.append(x);
      return x;
    };
    const ns = this.nodes;
    for (let i = 0; i < ns.length; i++) {
      for (let j = i + 1; j < ns.length; j++) {
        const [x1, y1] = this.pos(i);
        const [x2, y2] = this.pos(j);
        const a = ns[i].name;
        const b = ns[j].name;
        let cls = 'link';
        if (this.cut(a, b)) cls += ' cut';
        if (this.held.has(`${a}>${b}`) || this.held.has(`${b}>${a}`) || this.held.has(`${a}>*`) || this.held.has(`*>${b}`)) cls += ' held';
        if (this.tapped.has(`${a}>${b}`) || this.tapped.has(`${b}>${a}`) || this.tapped.has('*>*') ||
            this.tapped.has(`${a}>*`) || this.tapped.has(`*>${b}`) || this.tapped.has(`${b}>*`) || this.tapped.has(`*>${a}`)) cls += ' tapped';
        // Not a complete graph: a link shows once it carried traffic, or
        // when a fault marks it.
        if (cls === 'link' && !this.traffic.has(`${i}-${j}`)) continue;
        el('line', { x1, y1, x2, y2, class: cls, 'data-link': `${a}-${b}` });
      }
    }
    svg.append(this.flightLayer); // above the links, under the nodes
    svg.append(this.stillLayer);
    this.drawInFlight();
    const small = ns.length > 24;
    ns.forEach((n, i) => {
      const [x, y] = this.pos(i);
      const g = el('g', { class: `node ${n.state}${this.selected.includes(n.name) ? ' selected' : ''}`, transform: `translate(${x},${y})`,
        'data-node': n.name, 'data-state': n.state, tabindex: '0' });
      el('circle', { r: small ? 7 : 17 }, g);
      const t = el('text', { 'text-anchor': 'middle', dy: small ? '13' : '4', class: small ? 'small' : '' }, g);
      t.textContent = small ? shortName(n.name) : n.name;
      const gs = this.states.get(i);
      if (!small) {
        // The role under the node, unless the name already says it
        // (saga's "orchestrator" plays orchestrator).
        if (n.role && n.role !== n.name) {
          const r = el('text', { 'text-anchor': 'middle', dy: '30' }, g);
          r.textContent = n.role;
          r.setAttribute('class', 'role');
        }
        if (gs !== undefined) {
          const line = el('text', { 'text-anchor': 'middle', dy: '40', class: 'gstate', 'data-gstate': n.name }, g);
          line.textContent = compactState(gs, ns.length > 8 ? 18 : 28);
        }
      } else if (gs !== undefined) {
        el('circle', { r: 2, cx: 5, cy: -5, class: 'gstate-dot' }, g); // it has a state: hover or click for it
      }
      const d = this.doubt.get(n.name);
      if (d && d.size) {
        const b = el('text', { 'text-anchor': 'middle', dy: '-21', class: 'doubt', 'data-doubt': String(d.size) }, g);
        b.textContent = `in doubt: ${d.size}`;
      }
      const title = el('title', {}, g);
      title.textContent = `${n.name} (${n.role}): ${n.state}${n.reason ? ` - ${n.reason}` : ''}${gs !== undefined ? `\nstate: ${JSON.stringify(gs)}` : ''}`;
    });
  }

  // released acts on a press and release on one node: shift selects it,
  // else its menu opens. Not a click: a live run redraws the topology
  // several times a second, and a redraw between press and release
  // detaches the pressed node, so the browser sends no click at all.
  released(e) {
    const g = e.target.closest && e.target.closest('g.node');
    const name = g && g.dataset.node === this.pressed ? this.pressed : null;
    this.pressed = null;
    const n = name !== null ? this.nodes.find((x) => x.name === name) : null;
    if (!n || e.button !== 0) return;
    if (e.shiftKey) this.toggle(n.name);
    else this.openMenu(n, e);
  }

  openMenu(n, e) {
    const m = this.menu;
    m.textContent = '';
    const head = document.createElement('b');
    head.textContent = `${n.name}: ${n.state}`;
    m.append(head);
    // What the node holds: its last state snapshot, then its store's keys.
    const i = this.nodes.indexOf(n);
    const gs = this.states.get(i);
    const pre = document.createElement('pre');
    pre.className = 'gstate-full';
    pre.textContent = gs !== undefined ? `state ${JSON.stringify(gs)}` : 'no state emitted (SetState)';
    const keys = document.createElement('div');
    keys.className = 'store-keys';
    keys.textContent = 'store: …';
    m.append(pre, keys);
    if (this.hooks.detail) {
      this.hooks.detail(n.name).then((d) => {
        const ks = d.store.map((kv) => kv.key);
        keys.textContent = `store (${ks.length}${d.store_next ? '+' : ''} keys): ${ks.slice(0, 8).join(', ') || 'empty'}${ks.length > 8 ? ', …' : ''}`;
        if (gs === undefined && d.guest_state !== undefined) pre.textContent = `state ${JSON.stringify(d.guest_state)}`;
        if (!m.hidden && keys.isConnected) this.placeMenu(e.clientX, e.clientY); // the keys made it taller
      }, (err) => { keys.textContent = `store: ${err.message || err}`; });
    }
    const item = (label, fn, enabled = true) => {
      const b = document.createElement('button');
      b.textContent = label;
      b.dataset.action = label.toLowerCase();
      b.disabled = !enabled;
      b.onclick = () => { m.hidden = true; fn(); };
      m.append(b);
    };
    const act = (action) => () => this.hooks.act({ action, node: n.name });
    item('Crash', act('crash'), n.state !== 'crashed');
    item('Restart', act('restart'), n.state === 'crashed');
    item('Bounce', act('bounce'), n.state !== 'crashed');
    item('Pause', act('pause'), n.state === 'running');
    item('Resume', act('resume'), n.state === 'paused');
    item('Inspect', () => this.hooks.inspect(n.name));
    item(this.selected.includes(n.name) ? 'Unselect' : 'Select', () => this.toggle(n.name));
    m.hidden = false;
    this.placeMenu(e.clientX, e.clientY);
  }

  // placeMenu puts the open menu beside the click at (x, y), whole: at its
  // own width (an absolute box near its container's right edge would be
  // squeezed to the space left there), to the click's left where the
  // right has no room, and up where the window's bottom would cut it.
  placeMenu(x, y) {
    const m = this.menu;
    const box = this.svg.parentElement.getBoundingClientRect();
    const room = this.svg.getBoundingClientRect();
    const w = m.offsetWidth;
    const h = m.offsetHeight;
    let left = x + 8;
    if (left + w > room.right) left = x - 8 - w;
    left = Math.max(4, Math.min(left, innerWidth - 4 - w));
    let top = y + 8;
    if (top + h > innerHeight - 4) top = Math.max(4, innerHeight - 4 - h);
    m.style.left = `${left - box.left}px`;
    m.style.top = `${top - box.top}px`;
  }
}
