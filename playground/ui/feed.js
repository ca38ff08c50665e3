// TraceFeed takes a run's trace batches off the event stream and folds
// them into the views in slices of at most SLICE_MS of main-thread time,
// yielding between slices so that the page paints and answers clicks
// however fast a run records events. A batch waits as the text the stream
// delivered and is parsed only when its slice comes: a page that falls
// behind a busy run holds its backlog, not a million parsed events.
export const SLICE_MS = 8;

export class TraceFeed {
  // fold gets each event; done(lastSeq) is called after each slice that
  // folded events.
  constructor(fold, done) {
    this.fold = fold;
    this.done = done;
    this.queue = [];
    this.timer = 0;
  }

  // push queues one stream message's data (a JSON array of events).
  push(data) {
    this.queue.push(data);
    if (!this.timer) this.timer = setTimeout(() => this.drain(), 0);
  }

  // clear drops what waits (a new subscription, a rebuilt simulation).
  clear() {
    this.queue = [];
    clearTimeout(this.timer);
    this.timer = 0;
  }

  // backlog is how many stream messages wait.
  backlog() { return this.queue.length; }

  drain() {
    this.timer = 0;
    const t0 = performance.now();
    let last = null;
    while (this.queue.length && performance.now() - t0 < SLICE_MS) {
      const batch = JSON.parse(this.queue.shift());
      for (const e of batch) this.fold(e);
      if (batch.length) last = batch[batch.length - 1].seq;
    }
    if (last !== null) this.done(last);
    if (this.queue.length) this.timer = setTimeout(() => this.drain(), 0);
  }
}
