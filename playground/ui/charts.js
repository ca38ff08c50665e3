// Charts over virtual time from the trace's client operations (invoke, ok,
// fail, info): throughput, latency percentiles and availability per bucket,
// drawn with uPlot (vendored from npm, see playground/ui/vendor), with the
// faults' intervals shaded behind them, as Maelstrom's plots shade nemesis
// activity (Jepsen's src/jepsen/checker/perf.clj: nemesis-intervals pairs
// a fault's start with its end, or the end of the run; nemesis-regions
// shades them).
import uPlot from './vendor/uplot/uPlot.esm.js';

const BUCKET = 100e6; // 100 ms of virtual time

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export class Charts {
  // onSeek, if set, is called with an event's seq when a chart is clicked:
  // the first event at or after the clicked time.
  constructor(tput, lat, avail, onSeek) {
    this.els = { tput, lat, avail };
    this.onSeek = onSeek || null;
    this.onDrawn = null; // called after each draw
    this.plots = null;
    this.timer = 0;
    this.reset();
  }

  // reset forgets the data and the charts (a new run draws new ones).
  reset() {
    this.buckets = [];
    this.firstSeq = []; // bucket index -> the first event seen in it
    this.open = new Map(); // client node -> invoke time
    this.faults = [];      // {from, to (null: still on), label} in virtual s
    this.faultOpen = new Map(); // what a later fault ends ("crash p1") -> its interval
    if (this.plots) {
      for (const p of Object.values(this.plots)) p.destroy();
      this.plots = null;
    }
    this.dirty();
  }

  bucket(t) {
    const i = Math.floor(t / BUCKET);
    while (this.buckets.length <= i) this.buckets.push({ ok: 0, fail: 0, info: 0, lat: [] });
    return this.buckets[i];
  }

  // fault folds a fault event into the shaded intervals: a crash until
  // its node restarts, a partition until the repair, a pause until the
  // resume, a hold until the release; any other fault is an instant.
  fault(e) {
    const f = e.data || {};
    const t = e.t / 1e9;
    const who = f.node || (f.from ? `${f.from}>${f.to}` : '');
    const ends = { restart: 'crash', repair: 'partition', resume: 'pause', release: 'hold' };
    if (ends[f.action]) {
      const keys = f.action === 'repair' ? [...this.faultOpen.keys()].filter((k) => k.startsWith('partition')) : [`${ends[f.action]} ${who}`];
      for (const k of keys) {
        const iv = this.faultOpen.get(k);
        if (iv) iv.to = t;
        this.faultOpen.delete(k);
      }
      return;
    }
    const iv = { from: t, to: null, label: `${f.action}${who ? ` ${who}` : ''}` };
    if (['crash', 'partition', 'partition_oneway', 'pause', 'hold'].includes(f.action)) {
      this.faultOpen.set(f.action.startsWith('partition') ? `partition ${this.faults.length}` : `${f.action} ${who}`, iv);
    } else {
      iv.to = t; // an instant (bounce, skew, a filter)
    }
    this.faults.push(iv);
  }

  event(e) {
    const bi = Math.floor(e.t / BUCKET);
    if (this.firstSeq[bi] === undefined && e.seq !== undefined) this.firstSeq[bi] = e.seq;
    if (e.kind === 'fault' && e.data && typeof e.data === 'object') {
      this.fault(e);
      this.dirty();
      return;
    }
    switch (e.kind) {
      case 'invoke':
        this.open.set(e.node, e.t);
        this.bucket(e.t);
        break;
      case 'ok': case 'fail': case 'info': {
        const b = this.bucket(e.t);
        b[e.kind]++;
        const t0 = this.open.get(e.node);
        if (t0 !== undefined && e.kind === 'ok') b.lat.push((e.t - t0) / 1e6);
        this.open.delete(e.node);
        break;
      }
      default:
        return;
    }
    this.dirty();
  }

  dirty() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = 0; this.draw(); }, 250);
  }

  data() {
    const xs = [];
    const ops = [];
    const p50 = [];
    const p99 = [];
    const av = [];
    this.buckets.forEach((b, i) => {
      xs.push((i * BUCKET) / 1e9);
      ops.push(b.ok / (BUCKET / 1e9));
      const s = [...b.lat].sort((a, c) => a - c);
      p50.push(pct(s, 0.5));
      p99.push(pct(s, 0.99));
      const done = b.ok + b.fail + b.info;
      av.push(done ? (100 * b.ok) / done : null);
    });
    return { xs, ops, p50, p99, av };
  }

  // shade is a uPlot hook that shades the fault intervals behind the
  // series (an open one up to the last bucket, an instant as a thin band)
  // and names each.
  shade(u) {
    const { ctx, bbox } = u;
    const end = (this.buckets.length * BUCKET) / 1e9;
    ctx.save();
    ctx.font = `${Math.round(9 * devicePixelRatio)}px sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    for (const f of this.faults) {
      const x0 = u.valToPos(f.from, 'x', true);
      const x1 = Math.max(x0 + 2 * devicePixelRatio, u.valToPos(f.to ?? end, 'x', true));
      ctx.fillStyle = /crash|partition/.test(f.label) ? 'rgba(224, 96, 79, 0.18)' : 'rgba(240, 192, 80, 0.25)';
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      ctx.fillStyle = '#8a1c12';
      ctx.fillText(f.label, x0 + 2, bbox.top + 10 * devicePixelRatio);
    }
    ctx.restore();
  }

  draw() {
    this.drawAll();
    if (this.onDrawn) this.onDrawn();
  }

  // ops counts the client operations folded in (done or failed).
  ops() { return this.buckets.reduce((n, b) => n + (b ? b.ok + b.fail + b.info : 0), 0); }

  // pending reports whether what was folded in waits to be drawn.
  pending() { return this.timer !== 0; }

  drawAll() {
    const d = this.data();
    this.els.tput.dataset.points = String(d.xs.length);
    // For the page and its tests: the shaded intervals, "from-to" in s.
    this.els.tput.dataset.faults = this.faults.map((f) => `${f.label}@${f.from.toFixed(2)}-${f.to === null ? 'end' : f.to.toFixed(2)}`).join(';');
    const width = Math.max(200, this.els.tput.clientWidth || 300); // the column's width: at 1024 px it is under 240
    const mk = (el, title, series, data, yLabel, yRange) => new uPlot({
      title, width, height: 130,
      hooks: {
        drawClear: [(u) => this.shade(u)],
        ready: [(u) => {
          u.over.title = 'click: seek the run to this time';
          u.over.addEventListener('click', (ev) => this.pick(u, ev));
        }],
      },
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [{ label: 'virtual s', size: 30 }, { label: yLabel, size: 44 }],
      series: [{ label: 'virtual s' }, ...series],
      legend: { show: true },
    }, data, el);
    if (!this.plots) {
      this.plots = {
        tput: mk(this.els.tput, 'Throughput', [{ label: 'ok/s', stroke: '#2f6b45', width: 1.5 }], [d.xs, d.ops], 'ops/s'),
        lat: mk(this.els.lat, 'Latency', [{ label: 'p50 ms', stroke: '#1a5fb4' }, { label: 'p99 ms', stroke: '#c64600' }], [d.xs, d.p50, d.p99], 'ms'),
        avail: mk(this.els.avail, 'Availability', [{ label: '% ok', stroke: '#7a3cb4', width: 1.5 }], [d.xs, d.av], '%', [0, 100]),
      };
      return;
    }
    this.plots.tput.setData([d.xs, d.ops]);
    this.plots.lat.setData([d.xs, d.p50, d.p99]);
    this.plots.avail.setData([d.xs, d.av]);
  }

  // seqAt is the first event at or after virtual second x the page has
  // seen, or null.
  seqAt(x) {
    for (let i = Math.max(0, Math.floor((x * 1e9) / BUCKET)); i < this.firstSeq.length; i++) {
      if (this.firstSeq[i] !== undefined) return this.firstSeq[i];
    }
    return null;
  }

  // pick handles a click on a chart: seek the run to the time under it.
  pick(u, ev) {
    if (!this.onSeek) return;
    const x = u.posToVal(ev.offsetX, 'x');
    const seq = this.seqAt(x);
    for (const el of Object.values(this.els)) el.dataset.picked = seq === null ? '' : `${x.toFixed(2)}s@${seq}`;
    if (seq !== null) this.onSeek(seq, x);
  }

  // points returns how many buckets have data (for tests and the page).
  points() { return this.buckets.length; }
}
