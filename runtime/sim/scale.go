package sim

// ScaleConfig holds the settings that make runs of many nodes cheap
// (RATIONALE.md, "Scale: what a node costs"). Their defaults leave every
// small run exactly as it was.
type ScaleConfig struct {
	initNames int
}

// WithInitNames sets how many endpoints (nodes, services and clients
// together) a run may have and still list their names in each node's init
// document: past it the document carries only their counts, and guests
// read names with the node_name and node_index host calls (docs/ABI.md).
// 0 means abi.DefaultInitNames; a negative n never lists them.
func (c Config) WithInitNames(n int) Config { c.scale.initNames = n; return c }
