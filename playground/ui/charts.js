// Charts over virtual time from the trace's client operations (invoke, ok,
// fail, info): throughput, latency percentiles and availability per bucket,
// drawn with uPlot (vendored from npm, see playground/ui/vendor).
import uPlot from './vendor/uplot/uPlot.esm.js';

const BUCKET = 100e6; // 100 ms of virtual time

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export class Charts {
  constructor(tput, lat, avail) {
    this.els = { tput, lat, avail };
    this.plots = null;
    this.reset();
  }

  // reset forgets the data and the charts (a new run draws new ones).
  reset() {
    this.buckets = [];
    this.open = new Map(); // client node -> invoke time
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

  event(e) {
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

  draw() {
    const d = this.data();
    this.els.tput.dataset.points = String(d.xs.length);
    const width = Math.max(240, this.els.tput.clientWidth || 300);
    const mk = (el, title, series, data, yLabel, yRange) => new uPlot({
      title, width, height: 130,
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

  // points returns how many buckets have data (for tests and the page).
  points() { return this.buckets.length; }
}
