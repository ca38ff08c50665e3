// Package shardcheck is the host side of the sharding plugin: the
// sharded-kv workload and the checkers that judge a sharded key-value
// service (per-key linearizability, single ownership of each key, and the
// load each shard carried).
package shardcheck

import (
	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "sharding",
		Title:     "Sharded Services",
		Category:  "object communication",
		Summary:   "Routers split a key space over shards by hash or range; each key has one owner, and a hot key makes a hot shard.",
		Workloads: map[string]workload.Workload{"sharded-kv": ShardedKV{}},
		Checks: map[string]check.Checker{
			"sharding-linearizable": check.LinearizableKV,
			"sharding-ownership":    Ownership,
			"sharding-load":         Load,
		},
	}
}
