package nodes

import "github.com/terrarium-sim/terrarium/runtime/abi"

// Directory is every endpoint's name by index, for one run: the nodes,
// then the services, then the clients (docs/ABI.md, "The init document").
// The simulator builds one and every node shares it read-only, so that a
// run of N nodes holds the names once, not N times.
type Directory struct {
	names           []string
	nodes, services int
	index           map[string]int32
	listLimit       int
}

// NewDirectory builds the directory of a run's endpoints (the caller has
// made the names distinct; of two equal ones, Index finds the later).
// initNames is the most endpoints whose names the init document
// lists (0: abi.DefaultInitNames; < 0: never list them).
func NewDirectory(nodes, services, clients []string, initNames int) *Directory {
	d := &Directory{nodes: len(nodes), services: len(services), listLimit: initNames,
		names: make([]string, 0, len(nodes)+len(services)+len(clients))}
	d.names = append(append(append(d.names, nodes...), services...), clients...)
	d.index = make(map[string]int32, len(d.names))
	for i, n := range d.names {
		d.index[n] = int32(i)
	}
	return d
}

// Name returns the name of endpoint i; false if there is none.
func (d *Directory) Name(i int32) (string, bool) {
	if i < 0 || int(i) >= len(d.names) {
		return "", false
	}
	return d.names[i], true
}

// Index returns the index of the endpoint called name; false if none.
func (d *Directory) Index(name []byte) (int32, bool) {
	i, ok := d.index[string(name)]
	return i, ok
}

// Len returns the number of endpoints.
func (d *Directory) Len() int { return len(d.names) }

// Nodes returns the nodes' names by index (a view: do not change it).
func (d *Directory) Nodes() []string { return d.names[:d.nodes:d.nodes] }

// Services returns the services' names, nil if there are none (a view).
func (d *Directory) Services() []string {
	if d.services == 0 {
		return nil
	}
	return d.names[d.nodes : d.nodes+d.services : d.nodes+d.services]
}

// Clients returns the clients' names (a view; empty, not nil, if none).
func (d *Directory) Clients() []string { return d.names[d.nodes+d.services:] }

// Listed reports whether init documents list the names: the run has at
// most the init_names limit of endpoints.
func (d *Directory) Listed() bool {
	limit := d.listLimit
	if limit == 0 {
		limit = abi.DefaultInitNames
	}
	return limit > 0 && len(d.names) <= limit
}
