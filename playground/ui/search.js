// Sweeps, shrink and explore from the page: each is a background job on
// the server (POST /jobs, polled with GET /jobs/{id}, cancelled with
// DELETE). A sweep lists its failing seeds as they come, each a link
// that opens the run; a shrink and an explore hand back a scenario that
// opens in the editor as a run.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 300;

export class SearchPanel {
  // hooks: source() -> {text, origin} the editor holds; run() the run on
  // show; open(text, seed, label, origin, graph) opens a scenario as a
  // run; flash(msg, isError); error(err).
  constructor(hooks) {
    this.hooks = hooks;
    this.jobs = { sweep: null, shrink: null, explore: null };
    $('sweep-start').onclick = () => this.sweep();
    $('sweep-cancel').onclick = () => this.cancel('sweep');
    $('shrink-run').onclick = () => this.shrinkRun();
    $('shrink-cancel').onclick = () => this.cancel('shrink');
    $('explore-start').onclick = () => this.explore();
    $('explore-cancel').onclick = () => this.cancel('explore');
  }

  // body is a job request over the editor's scenario.
  body(kind, extra) {
    const { text, origin } = this.hooks.source();
    const b = { kind, scenario: text, ...extra };
    if (origin && origin.pattern) {
      b.pattern = origin.pattern;
      b.name = origin.file;
    }
    return b;
  }

  async start(kind, body) {
    const old = this.jobs[kind];
    if (old && old.state === 'running') await this.cancel(kind);
    try {
      const job = await api('POST', '/jobs', body);
      job.origin = this.hooks.source().origin;
      this.jobs[kind] = job;
      this.render(kind, job);
      this.poll(kind, job.id);
    } catch (err) {
      $(`${kind}-status`).textContent = `${err.message}`;
      $(`${kind}-status`).className = 'small error';
      this.hooks.error(err);
    }
  }

  async poll(kind, id) {
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (!this.jobs[kind] || this.jobs[kind].id !== id) return;
      let job;
      try {
        job = await api('GET', `/jobs/${id}`);
      } catch (err) {
        $(`${kind}-status`).textContent = err.message;
        return;
      }
      job.origin = this.jobs[kind].origin;
      this.jobs[kind] = job;
      this.render(kind, job);
      if (job.state !== 'running') return;
    }
  }

  async cancel(kind) {
    const job = this.jobs[kind];
    if (!job) return;
    this.jobs[kind] = null;
    try {
      await api('DELETE', `/jobs/${job.id}`);
      $(`${kind}-status`).textContent = `cancelled after ${job.done} of ${job.total}`;
    } catch (err) {
      this.hooks.error(err);
    }
    $(`${kind}-cancel`).hidden = true;
  }

  render(kind, job) {
    $(`${kind}-cancel`).hidden = job.state !== 'running';
    const s = $(`${kind}-status`);
    s.className = job.state === 'failed' ? 'small error' : 'small';
    if (kind === 'sweep') return this.renderSweep(job);
    if (kind === 'shrink') return this.renderShrink(job);
    return this.renderExplore(job);
  }

  // ---- sweep ----

  sweep() {
    const seeds = $('sweep-seeds').value.trim();
    $('sweep-failures').textContent = '';
    this.start('sweep', this.body('sweep', { seeds }));
  }

  renderSweep(job) {
    const bar = $('sweep-progress');
    bar.max = job.total;
    bar.value = job.done;
    const secs = (job.elapsed_ms / 1000).toFixed(1);
    $('sweep-status').textContent = job.state === 'failed' ? job.error
      : `${job.state}: ${job.done} / ${job.total} seeds, ${job.failed} failing (${secs}s)${job.error ? ` — ${job.error}` : ''}`;
    const ul = $('sweep-failures');
    for (const f of job.failures || []) {
      if (ul.querySelector(`[data-seed="${f.seed}"]`)) continue;
      const li = document.createElement('li');
      li.dataset.seed = String(f.seed);
      const a = document.createElement('a');
      a.href = '#';
      a.className = 'open-seed';
      a.textContent = `seed ${f.seed}`;
      a.title = `open a run of this scenario with seed ${f.seed}`;
      a.onclick = (e) => { e.preventDefault(); this.openSeed(job, f.seed); };
      const sh = document.createElement('button');
      sh.className = 'small shrink-seed';
      sh.textContent = 'shrink';
      sh.title = `shrink seed ${f.seed}'s failure to a minimal scenario`;
      sh.onclick = () => this.shrink(job.scenario, job.origin, f.seed);
      const why = document.createElement('span');
      why.className = 'muted small';
      why.textContent = ` ${f.verdict}: ${f.summary}`;
      why.title = f.summary;
      li.append(a, ' ', sh, why);
      ul.append(li);
    }
  }

  async openSeed(job, seed) {
    // The sweep's own text: the editor may have changed since.
    const full = job.scenario ? job : await api('GET', `/jobs/${job.id}`);
    this.hooks.open(full.scenario, seed, `sweep seed ${seed}`, job.origin);
  }

  // ---- shrink ----

  shrinkRun() {
    const r = this.hooks.run();
    if (!r) return this.hooks.flash('open a failing run first, or shrink a failing seed of a sweep', true);
    const { text, origin } = this.hooks.source();
    this.shrink(text, origin, r.seed);
  }

  shrink(text, origin, seed) {
    const b = { kind: 'shrink', scenario: text, seed };
    if (origin && origin.pattern) {
      b.pattern = origin.pattern;
      b.name = origin.file;
    }
    $('shrink-open').hidden = true;
    $('shrink-steps').textContent = '';
    this.start('shrink', b);
  }

  renderShrink(job) {
    const bar = $('shrink-progress');
    bar.max = job.total;
    bar.value = job.state === 'running' ? job.done : job.total;
    const res = job.result;
    let msg = `${job.state}: ${job.done} runs${job.progress ? ` — ${job.progress}` : ''}`;
    if (job.state === 'failed') msg = job.error;
    else if (res && res.scenario) msg = `minimal scenario in ${res.runs} runs, ${res.steps ? res.steps.length : 0} reductions; fails ${Object.keys(res.checks || {}).join(', ')}`;
    $('shrink-status').textContent = msg;
    const open = $('shrink-open');
    open.hidden = !(res && res.scenario);
    if (res && res.scenario) {
      $('shrink-steps').textContent = (res.steps || []).join('\n');
      open.onclick = () => this.hooks.open(res.scenario, res.seed, `minimal scenario (seed ${res.seed})`, job.origin);
    }
  }

  // ---- explore ----

  explore() {
    const budget = Number($('explore-budget').value) || 0;
    $('explore-open').hidden = true;
    this.start('explore', this.body('explore', { strategy: $('explore-strategy').value, budget }));
  }

  renderExplore(job) {
    const bar = $('explore-progress');
    bar.max = job.total;
    bar.value = job.state === 'running' ? job.done : job.total;
    const s = job.stats;
    const stats = s ? `runs ${s.runs} · states ${s.states} · distinct ${s.distinct} · depth ${s.depth} · deviations ${s.deviations}` : '';
    $('explore-stats').textContent = stats;
    const res = job.result;
    let msg = `${job.state}: ${job.done} / ${job.total} runs`;
    if (job.state === 'failed') msg = job.error;
    else if (res && res.scenario) msg = `found a failing schedule at run ${res.runs}: ${res.schedule.join(', ')} — fails ${Object.keys(res.checks || {}).join(', ')}`;
    else if (job.state === 'done') msg = `no failing schedule in ${job.done} runs${s && s.exhausted ? ' (space exhausted)' : ''}`;
    $('explore-status').textContent = msg;
    const open = $('explore-open');
    open.hidden = !(res && res.scenario);
    if (res && res.scenario) {
      open.onclick = () => this.hooks.open(res.scenario, res.seed, `found schedule (seed ${res.seed})`, job.origin, res.graph);
    }
  }
}
