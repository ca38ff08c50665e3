// Messages in flight on the topology: a dot moves from sender to receiver
// for each message delivered while a run plays, as RaftScope draws its
// messages (raftscope's script.js, messageModel: a circle interpolated
// between the two servers' positions by the message's send and receive
// times). Here the flight takes a fixed wall time, since a run's virtual
// time goes by much faster than a person can follow.
//
// The work per frame is bounded whatever the run's rate: at most MAX_DOTS
// dots fly at once (a fixed pool of circles, moved by one attribute write
// each per frame), at most SPAWN_PER_FRAME start in a frame, and at most
// MAX_PENDING wait; messages beyond that are counted, not drawn, and the
// note under the topology says how many were drawn of how many.
const NS = 'http://www.w3.org/2000/svg';

export const MAX_DOTS = 48;
export const SPAWN_PER_FRAME = 6;
export const MAX_PENDING = 96;
const FLIGHT_MS = 650;

export class Flights {
  // layer is the SVG group the dots are drawn in; note, if set, is the
  // element that says how many were drawn.
  constructor(layer, note) {
    this.layer = layer;
    this.note = note;
    this.pool = [];
    for (let i = 0; i < MAX_DOTS; i++) {
      const c = document.createElementNS(NS, 'circle');
      c.setAttribute('r', '3');
      c.setAttribute('class', 'flight');
      c.style.display = 'none';
      layer.append(c);
      this.pool.push(c);
    }
    this.reset();
  }

  // reset forgets every dot and count (a new run, a seek).
  reset() {
    this.flying = []; // {dot, from: [x, y], to: [x, y], start}
    this.pending = [];
    this.seen = 0;     // messages offered
    this.drawn = 0;    // messages animated
    for (const c of this.pool) c.style.display = 'none';
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.showNote();
  }

  // add offers a message from one position to another. A full queue
  // keeps what it has: the dropped message is only counted.
  add(from, to) {
    this.seen++;
    if (this.pending.length < MAX_PENDING) this.pending.push([from, to]);
    else this.pending[this.seen % MAX_PENDING] = [from, to]; // sample the newest in
    if (!this.frame) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  tick(now) {
    this.frame = 0;
    // Land the finished flights, then start new ones into free dots.
    this.flying = this.flying.filter((f) => {
      if (now - f.start < FLIGHT_MS) return true;
      f.dot.style.display = 'none';
      this.pool.push(f.dot);
      return false;
    });
    let spawn = Math.min(SPAWN_PER_FRAME, this.pool.length, this.pending.length);
    while (spawn-- > 0) {
      const [from, to] = this.pending.shift();
      const dot = this.pool.pop();
      dot.style.display = '';
      this.flying.push({ dot, from, to, start: now });
      this.drawn++;
    }
    for (const f of this.flying) {
      const k = Math.min(1, (now - f.start) / FLIGHT_MS);
      f.dot.setAttribute('transform', `translate(${f.from[0] + (f.to[0] - f.from[0]) * k},${f.from[1] + (f.to[1] - f.from[1]) * k})`);
    }
    this.layer.dataset.flying = String(this.flying.length);
    this.layer.dataset.drawn = String(this.drawn);
    this.layer.dataset.seen = String(this.seen);
    this.showNote();
    if (this.flying.length || this.pending.length) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  showNote() {
    if (!this.note) return;
    if (this.seen === 0) {
      this.note.textContent = 'messages fly as dots while a run plays; paused, those on their way stay where they are';
      return;
    }
    const sampled = this.seen > this.drawn + this.pending.length;
    this.note.textContent = `messages drawn: ${this.drawn.toLocaleString()} of ${this.seen.toLocaleString()} delivered` +
      (sampled ? ` (sampled: at most ${MAX_DOTS} fly at once, ${SPAWN_PER_FRAME} start per frame)` : '');
  }
}
