// Package scenario loads and validates Terrarium scenario files.
//
// A scenario file is a YAML document that describes one simulated run: the
// WebAssembly modules, the nodes running them, the simulated network, the
// client workload, the checks to apply and the resource limits. Load reads a
// file and returns a fully validated, typed Scenario with defaults applied;
// Parse does the same for bytes already in memory without touching the disk.
// A file may be at most MaxBytes long; Load reads no further.
//
// Every problem found in a scenario is reported as an *Error naming the file,
// the line and column of the offending value and the field it belongs to,
// for example:
//
//	plugins/echo/scenario.yaml:7:12: nodes[1].role: unknown role "leader" (module echo has roles: server)
//
// Parse and Load report all the problems they find at once, as an Errors
// value sorted by position.
//
// The schema, with defaults:
//
//	name: echo            # optional; defaults to the file's base name without extension
//	description: text     # optional
//	seed: 1               # optional uint64; 0 when absent
//	duration: 10s         # required Go duration, > 0, at most 24h (MaxDuration)
//	modules:              # required, at least one; name -> module
//	  echo:
//	    go: .             # Go main package directory, relative to the file (a reactor
//	                      # if it uses the SDK, else a plain WASI command), or
//	    wasm: x.wasm      # a ready WebAssembly module; exactly one of go/wasm
//	    roles: [server]   # optional; default [default]
//	nodes:                # required, at least one group
//	  - name: n           # required; count > 1 or indexed: true gives n0..n{count-1}
//	    count: 3          # optional, 1..65536, default 1 (at most 65536 nodes in all)
//	    indexed: false    # optional
//	    module: echo      # required
//	    role: server      # optional; default the module's first role
//	    params: {}        # optional mapping, exposed as JSON
//	network:              # optional
//	  latency: 5ms        # constant, or {min: 1ms, max: 10ms}; default 1ms
//	  loss: 0.0           # in [0, 1], default 0
//	  links:              # optional per-link overrides; from/to: node name or "*"
//	    - {from: n0, to: "*", latency: 20ms, loss: 0.1}
//	workload:             # optional; absent means type none with no clients
//	  type: echo          # required in the section
//	  clients: 2          # >= 1, default 1
//	  interval: 10ms      # > 0, default 10ms
//	  ops: 100            # >= 0, default 0 (run until duration)
//	  timeout: 1s         # > 0, default 1s
//	  targets: [n0, n1]   # optional; default every node
//	  params: {}          # optional mapping, exposed as JSON
//	checks:               # optional; a name or {name: x, params: {...}}
//	  - echo
//	limits:               # optional; 0 (absent) means the runtime default
//	  fuel: 1000000000    # every field, its default and range: package runtime/limits
//
// Besides the classic fault actions, faults: may spell the adversary's
// (docs/ABI.md, "Attacker"), whose from and to name one node, client
// (c0, c1, ... of the workload) or "*" each:
//
//	faults:
//	  - {at: 0s, action: eavesdrop, from: "*", to: gk}   # record what crosses
//	  - {at: 1s, action: tamper, from: c1, to: gk, body: '{"amount": 999}'}  # no body: flip a byte
//	  - {at: 1s, action: replay, from: c0, to: gk}       # re-send one recorded message
//	  - {at: 1s, action: forge, from: gk, to: backend, body: '{"type":"apply"}'}
//	  - {at: 1s, action: impersonate, node: gk, attacker: evil}
//	  - {at: 2s, action: secure}                         # end eavesdrop, tamper, impersonate
package scenario
