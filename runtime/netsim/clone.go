package netsim

import "maps"

// Clone returns a copy of the network, links and cuts, sharing nothing
// it changes (a link's latency distribution is never changed in place).
func (n *Network) Clone() *Network {
	c := *n
	c.links, c.cut = maps.Clone(n.links), maps.Clone(n.cut)
	return &c
}
