// Package cqrscheck is the host side of the CQRS plugin: the "cqrs"
// workload (bank commands to command nodes, read-your-writes probes and
// final read-model reads on query nodes) and the "cqrs-projection" and
// "cqrs-staleness" checkers.
package cqrscheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "cqrs",
		Title:     "Command and Query Responsibility Segregation (CQRS)",
		Category:  "event-driven",
		Summary:   "Commands append validated events to a log on the write side; query nodes project them into a read model that answers reads, eventually consistent.",
		Workloads: map[string]workload.Workload{"cqrs": Workload{}},
		Checks:    map[string]check.Checker{"cqrs-projection": Projection, "cqrs-staleness": Staleness},
	}
}

// History function names the workload records.
const (
	FCommand   = "command"
	FQuery     = "query"
	FReadModel = "read_model"
)

// Params are the workload's settings (workload.params in a scenario).
type Params struct {
	// Commands and Queries name the command and query nodes; by default the
	// targets whose names start with "cmd" and "q".
	Commands []string `json:"commands"`
	Queries  []string `json:"queries"`
	// Accounts is how many accounts (a0..) commands touch (default 4);
	// account k belongs to command node k mod len(Commands).
	Accounts int `json:"accounts"`
	// Withdraw is the share of withdrawals (default 0.4); MaxAmount bounds
	// an amount (default 100).
	Withdraw  *float64 `json:"withdraw"`
	MaxAmount int      `json:"max_amount"`
	// ProbeInterval separates read-your-writes probes (default 10ms);
	// ProbeLimit is how long a client keeps probing (default 2s).
	ProbeInterval string `json:"probe_interval"`
	ProbeLimit    string `json:"probe_limit"`
	// Settle is the quiet time before the final read-model reads (default 2s).
	Settle string `json:"settle"`
}

// CommandValue is the value of a command operation in the history.
type CommandValue struct {
	Cmd     string `json:"cmd"`
	Op      string `json:"op"`
	Account string `json:"account"`
	Amount  int    `json:"amount"`
	Log     string `json:"log,omitempty"`
	Seq     int    `json:"seq,omitempty"`
}

// QueryValue is the value of a probe query in the history: the command it
// waits for and, on completion, what the query node had applied.
type QueryValue struct {
	Cmd     string `json:"cmd"`
	Account string `json:"account"`
	Log     string `json:"log"`
	Seq     int    `json:"seq"`
	Balance int    `json:"balance,omitempty"`
	Applied int    `json:"applied,omitempty"`
	Fresh   bool   `json:"fresh,omitempty"`
}

// ReadModelValue is a final read of a query node's read model.
type ReadModelValue struct {
	Balances map[string]int `json:"balances"`
	Applied  map[string]int `json:"applied"`
}

// Workload is the "cqrs" workload. Each client, every Interval until
// Duration: sends a deposit or withdrawal to the command node that owns the
// account; once it is acknowledged, queries random query nodes every
// ProbeInterval until one reflects it (read-your-writes) or ProbeLimit
// passes. After Settle every query node's read model is read once.
type Workload struct{}

const finalAttempts = 5

func dur(s, def string, field string) (time.Duration, error) {
	if s == "" {
		s = def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("workload cqrs: params.%s %q is not a duration", field, s)
	}
	return d, nil
}

// Start implements workload.Workload.
func (Workload) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	var p Params
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload cqrs: params: %w", err)
		}
	}
	cmds, queries := p.Commands, p.Queries
	for _, t := range spec.Targets {
		switch {
		case len(p.Commands) == 0 && strings.HasPrefix(t, "cmd"):
			cmds = append(cmds, t)
		case len(p.Queries) == 0 && strings.HasPrefix(t, "q"):
			queries = append(queries, t)
		}
	}
	p.Commands, p.Queries = cmds, queries
	if len(p.Commands) == 0 || len(p.Queries) == 0 {
		return 0, fmt.Errorf("workload cqrs: needs command and query nodes (params.commands, params.queries)")
	}
	if p.Accounts <= 0 {
		p.Accounts = 4
	}
	if p.MaxAmount <= 0 {
		p.MaxAmount = 100
	}
	withdraw := 0.4
	if p.Withdraw != nil {
		withdraw = *p.Withdraw
	}
	probeEvery, err := dur(p.ProbeInterval, "10ms", "probe_interval")
	if err != nil {
		return 0, err
	}
	probeLimit, err := dur(p.ProbeLimit, "2s", "probe_limit")
	if err != nil {
		return 0, err
	}
	settle, err := dur(p.Settle, "2s", "settle")
	if err != nil {
		return 0, err
	}
	r := spec.Rand
	// the clients start at 0, whatever spec.Start says
	workload.ClosedLoop{}.Run(s, spec, func(_ int, c workload.Client, n int, next func()) {
		k := r.IntN(p.Accounts)
		v := CommandValue{Cmd: fmt.Sprintf("%s-%d", c.Name(), n), Op: "deposit", Account: fmt.Sprintf("a%d", k),
			Amount: 1 + r.IntN(p.MaxAmount)}
		if r.Float64() < withdraw {
			v.Op = "withdraw"
		}
		target := p.Commands[k%len(p.Commands)]
		c.Invoke(FCommand, v, target)
		err := c.Call(target, map[string]any{"type": "command", "cmd": v.Cmd, "op": v.Op, "account": v.Account, "amount": v.Amount},
			spec.Timeout, func(rep history.Reply) {
				var b struct {
					Log string `json:"log"`
					Seq int    `json:"seq"`
				}
				switch {
				case rep.TimedOut:
					c.Complete(history.OpInfo, FCommand, v, target, "timeout")
					next()
				case rep.Type == "command_ok" && json.Unmarshal(rep.Body, &b) == nil:
					v.Log, v.Seq = b.Log, b.Seq
					c.Complete(history.OpOK, FCommand, v, target, "")
					probe(s, spec, c, p.Queries, v, s.Now()+probeLimit, probeEvery, next)
				default:
					c.Complete(history.OpFail, FCommand, v, target, string(rep.Body))
					next()
				}
			})
		if err != nil {
			c.Complete(history.OpFail, FCommand, v, target, err.Error())
			next()
		}
	})
	final := spec.Duration + settle
	share := workload.Split(p.Queries, len(spec.Clients))
	for i, c := range spec.Clients {
		c, mine := c, share[i]
		var read func(k, attempt int)
		read = func(k, attempt int) {
			if k >= len(mine) {
				return
			}
			q := mine[k]
			c.Invoke(FReadModel, nil, q)
			err := c.Call(q, map[string]any{"type": "read_model"}, spec.Timeout, func(rep history.Reply) {
				var b ReadModelValue
				switch {
				case rep.TimedOut:
					c.Complete(history.OpInfo, FReadModel, nil, q, "timeout")
					if attempt < finalAttempts {
						read(k, attempt+1)
						return
					}
				case rep.Type == "read_model_ok" && json.Unmarshal(rep.Body, &b) == nil:
					c.Complete(history.OpOK, FReadModel, b, q, "")
				default:
					c.Complete(history.OpFail, FReadModel, nil, q, string(rep.Body))
				}
				read(k+1, 1)
			})
			if err != nil {
				c.Complete(history.OpFail, FReadModel, nil, q, err.Error())
				read(k+1, 1)
			}
		}
		s.At(final, func() { read(0, 1) })
	}
	rounds := (len(p.Queries) + len(spec.Clients) - 1) / len(spec.Clients)
	return final + time.Duration(rounds*finalAttempts)*spec.Timeout, nil
}

// probe queries random query nodes until one has applied v (its log has
// reached v.Seq) or deadline passes, then calls done.
func probe(s workload.Env, spec workload.Spec, c workload.Client, queries []string, v CommandValue, deadline, every time.Duration, done func()) {
	q := queries[spec.Rand.IntN(len(queries))]
	qv := QueryValue{Cmd: v.Cmd, Account: v.Account, Log: v.Log, Seq: v.Seq}
	again := func() {
		if s.Now() >= deadline {
			done()
			return
		}
		s.After(every, func() { probe(s, spec, c, queries, v, deadline, every, done) })
	}
	c.Invoke(FQuery, qv, q)
	err := c.Call(q, map[string]any{"type": "query", "account": v.Account}, spec.Timeout, func(rep history.Reply) {
		var b struct {
			Balance int            `json:"balance"`
			Applied map[string]int `json:"applied"`
		}
		switch {
		case rep.TimedOut:
			c.Complete(history.OpInfo, FQuery, qv, q, "timeout")
			again()
		case rep.Type == "query_ok" && json.Unmarshal(rep.Body, &b) == nil:
			qv.Balance, qv.Applied = b.Balance, b.Applied[v.Log]
			qv.Fresh = qv.Applied >= v.Seq
			c.Complete(history.OpOK, FQuery, qv, q, "")
			if qv.Fresh {
				done()
				return
			}
			again()
		default:
			c.Complete(history.OpFail, FQuery, qv, q, string(rep.Body))
			again()
		}
	})
	if err != nil {
		c.Complete(history.OpFail, FQuery, qv, q, err.Error())
		done()
	}
}
