// Command kafkapastend is kafkazero with a poll that slices its log from
// the offset asked for: a poll past the end of a log panics. Polled as
// Maelstrom polls, from a committed offset or one past the last offset
// polled, it never asks past the end.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	logs := map[string][]int{}
	committed := map[string]int{}
	n.HandleInline("send", func(msg maelstrom.Message) error {
		var b struct {
			Key string `json:"key"`
			Msg int    `json:"msg"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		logs[b.Key] = append(logs[b.Key], b.Msg)
		return n.Reply(msg, map[string]any{"type": "send_ok", "offset": len(logs[b.Key]) - 1})
	})
	n.HandleInline("poll", func(msg maelstrom.Message) error {
		var b struct {
			Offsets map[string]int `json:"offsets"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		out := map[string]any{}
		for k, from := range b.Offsets {
			page := logs[k][from:min(from+10, len(logs[k]))] // panics past the end
			ms := make([][2]int, len(page))
			for i, m := range page {
				ms[i] = [2]int{from + i, m}
			}
			out[k] = ms
		}
		return n.Reply(msg, map[string]any{"type": "poll_ok", "msgs": out})
	})
	n.HandleInline("commit_offsets", func(msg maelstrom.Message) error {
		var b struct {
			Offsets map[string]int `json:"offsets"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		for k, o := range b.Offsets {
			committed[k] = max(committed[k], o)
		}
		return n.Reply(msg, map[string]any{"type": "commit_offsets_ok"})
	})
	n.HandleInline("list_committed_offsets", func(msg maelstrom.Message) error {
		var b struct {
			Keys []string `json:"keys"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		out := map[string]int{}
		for _, k := range b.Keys {
			out[k] = committed[k] // 0 when nobody committed k
		}
		return n.Reply(msg, map[string]any{"type": "list_committed_offsets_ok", "offsets": out})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
