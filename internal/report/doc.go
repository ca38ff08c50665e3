// Package report turns a run folder (as written by `terrarium run --out
// DIR`) into the files a person reads, and a one-screen text summary. It
// reads results.json (run facts, lane names) and trace.jsonl; client
// operations are counted from the trace's invoke/ok/fail/info events, which
// mirror history.jsonl, so the history file is not needed.
//
// Write reads the trace once, as a stream (memory grows with the number of
// messages in flight and of lanes, not with the trace's length), and writes
// into the same folder:
//
//   - lamport.html: a space-time diagram in one self-contained file (inline
//     script and style, no network). One lane per node and client, time
//     flowing down, one row per event. Every event is embedded, compactly, in
//     <script id="ev" type="application/json">: an array with one array per
//     event, [kind, node, dt, peer, label, msg, link, data], where kind
//     indexes meta.kinds, dt is the virtual time in ns since the previous
//     event, label indexes meta.labels (or is an inline string), link is the
//     row of the message's send for deliver/drop/duplicate events, and data is
//     the event's payload (JSON; payloads longer than DataCap bytes are cut to
//     {"truncated": size, "head": "..."}). Trailing fields at their default
//     (peer -1, label 0, msg 0, link -1, no data) are left out. Run facts,
//     lane names and state intervals are in <script id="meta">. The page draws
//     only the rows in view, so it stays usable with hundreds of thousands of
//     events.
//   - stats.json: per message type (and in total) the messages sent,
//     delivered, dropped and duplicated, messages per completed client
//     operation, and delivery latency percentiles in ns.
//   - timeline.json: per node, back-to-back intervals of state (up, crashed,
//     paused, partitioned) in virtual ns.
//   - shiviz.log: the host-local events with vector clocks, for ShiViz.
//
// WriteWithin cuts each of these files at a bound, FileBound of the run's
// trace cap (a sixteenth of limits.max_trace_bytes, at least 1 MiB):
// lamport.html keeps the first events that fit and names the cut in its
// metadata ("cut"), shiviz.log in its header's note line, stats.json and
// timeline.json keep their totals beside a "cut" field, and results.json's
// report_notes lists every cut.
//
// # ShiViz
//
// Paste shiviz.log into ShiViz (https://bestchai.bitbucket.io/shiviz/) with
// this parser regular expression (also in the file's first lines):
//
//	(?<host>\S*) (?<clock>{.*})\n(?<event>.*)
//
// Each event is two lines: the host and its vector clock as JSON (the host's
// own entry first, then every non-zero entry in lane order), then a
// description that starts with the event's virtual time. Vector clocks follow
// the message edges: a send ticks its host and the message carries the
// sender's clock; a delivery merges it and ticks. Network-side events (drop,
// duplicate), scheduler wake-ups and faults are not host events and are left
// out.
package report
