package main

import (
	"encoding/json"
	"fmt"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type attackerParams struct {
	Storage string `json:"storage"`
	Victim  string `json:"victim"`
	DelayMS int    `json:"delay_ms"`
	EveryMS int    `json:"every_ms"`
	// Backdate makes each put claim it was made when its token was stolen.
	Backdate bool `json:"backdate"`
}

// startAttacker steals valet keys from the victim's traffic and uses each
// once it is delay_ms old.
func startAttacker(n *maelstrom.Node) {
	p := attackerParams{Storage: "storage", Victim: "c0", DelayMS: 500, EveryMS: 50}
	_ = json.Unmarshal(n.Params(), &p)
	for _, t := range []string{"put_ok", "put_denied"} {
		n.HandleInline(t, func(maelstrom.Message) error { return nil })
	}
	n.HandleInline("init", func(maelstrom.Message) error {
		_ = maelstrom.AttackerOf(n).Eavesdrop(p.Victim, p.Storage)
		go steal(n, p)
		return nil
	})
}

type stolen struct {
	token string
	at    time.Time
}

func steal(n *maelstrom.Node, p attackerParams) {
	var loot []stolen
	seen, k := 0, 0
	last := ""
	for {
		time.Sleep(time.Duration(p.EveryMS) * time.Millisecond)
		now := n.Now()
		for ; ; seen++ {
			m, ok, _ := maelstrom.AttackerOf(n).Recorded(seen)
			if !ok {
				break
			}
			var env struct{ Body put }
			if json.Unmarshal(m.Raw, &env) == nil && env.Body.Token != "" && env.Body.Token != last {
				last = env.Body.Token
				loot = append(loot, stolen{token: last, at: now})
			}
		}
		for len(loot) > 0 && now.Sub(loot[0].at) >= time.Duration(p.DelayMS)*time.Millisecond {
			k++
			r := put{Type: "put", Req: fmt.Sprintf("evil-%d", k), Key: "users/" + p.Victim + "/evil", Amount: 666, Token: loot[0].token}
			if p.Backdate {
				r.TS = loot[0].at.UnixNano()
			}
			if err := n.Send(p.Storage, r); err != nil {
				n.Log("put: %v", err)
			}
			loot = loot[1:]
		}
	}
}
