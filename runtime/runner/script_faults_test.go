package runner_test

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/datadriven"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// faultCommands apply faults by hand and show the nodes' states.
func faultCommands() map[string]command {
	node := func(kind fault.Kind) command {
		return func(s *script, d *datadriven.TestData) (string, error) {
			n, err := arg(d, 0)
			if err != nil {
				return "", err
			}
			return apply(s, fault.Fault{Kind: kind, Node: n})
		}
	}
	link := func(kind fault.Kind) command {
		return func(s *script, d *datadriven.TestData) (string, error) {
			p := positional(d)
			if len(p) != 2 {
				return "", fmt.Errorf("%s: want FROM TO, got %d arguments", d.Cmd, len(p))
			}
			return apply(s, fault.Fault{Kind: kind, From: nodeList(p[0]), To: nodeList(p[1])})
		}
	}
	return map[string]command{
		"partition":        partitionCmd,
		"partition-oneway": link(fault.PartitionOneWay),
		"repair": func(s *script, _ *datadriven.TestData) (string, error) {
			return apply(s, fault.Fault{Kind: fault.Repair})
		},
		"crash":   node(fault.Crash),
		"restart": node(fault.Restart),
		"bounce":  node(fault.Bounce),
		"pause":   node(fault.Pause),
		"resume":  node(fault.Resume),
		"hold":    link(fault.Hold),
		"release": link(fault.Release),
		"nodes":   nodesCmd,
		// the adversary's kinds; forge's and tamper's body is the input
		"eavesdrop":   link(fault.Eavesdrop),
		"tamper":      bodyLink(fault.Tamper),
		"replay":      link(fault.Replay),
		"forge":       bodyLink(fault.Forge),
		"impersonate": impersonateCmd,
		"secure": func(s *script, _ *datadriven.TestData) (string, error) {
			return apply(s, fault.Fault{Kind: fault.Secure})
		},
		"recorded": recordedCmd,
	}
}

// bodyLink applies a link fault whose body is the directive's input:
// "forge A B" with the message below it.
func bodyLink(kind fault.Kind) command {
	return func(s *script, d *datadriven.TestData) (string, error) {
		p := positional(d)
		if len(p) != 2 {
			return "", fmt.Errorf("%s: want FROM TO, got %d arguments", d.Cmd, len(p))
		}
		return apply(s, fault.Fault{Kind: kind, From: nodeList(p[0]), To: nodeList(p[1]), Body: strings.TrimSpace(d.Input)})
	}
}

// impersonateCmd redirects a node's traffic: "impersonate VICTIM ATTACKER".
func impersonateCmd(s *script, d *datadriven.TestData) (string, error) {
	p := positional(d)
	if len(p) != 2 {
		return "", fmt.Errorf("impersonate: want VICTIM ATTACKER, got %d arguments", len(p))
	}
	return apply(s, fault.Fault{Kind: fault.Impersonate, Node: p[0], Attacker: p[1]})
}

// recordedCmd lists what the adversary has recorded.
func recordedCmd(s *script, _ *datadriven.TestData) (string, error) {
	var b strings.Builder
	for i, m := range s.r.Recorded() {
		fmt.Fprintf(&b, "%d %s -> %s %s\n", i, m.From, m.To, m.Payload)
	}
	return b.String(), nil
}

// partitionCmd splits the network into groups: "partition a,b | c,d".
func partitionCmd(s *script, d *datadriven.TestData) (string, error) {
	var groups [][]string
	for _, g := range strings.Split(strings.Join(positional(d), " "), "|") {
		groups = append(groups, nodeList(g))
	}
	return apply(s, fault.Fault{Kind: fault.Partition, Groups: groups})
}

// apply applies f now and says when.
func apply(s *script, f fault.Fault) (string, error) {
	if err := s.r.Apply(f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%v at %v before event %d", f, s.r.Now(), s.r.Steps()+1), nil
}

// nodesCmd lists every node's state.
func nodesCmd(s *script, _ *datadriven.TestData) (string, error) {
	var b strings.Builder
	for _, n := range s.r.Nodes() {
		fmt.Fprintf(&b, "%s\n", strings.TrimSpace(fmt.Sprintf("%s %s incarnation=%d %s", n.Name, n.State, n.Incarnation, n.CrashReason)))
	}
	return b.String(), nil
}

// nodeList splits "a,b" into node names.
func nodeList(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
