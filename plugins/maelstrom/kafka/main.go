// Command kafka is our solution to Maelstrom's kafka workload (Gossip
// Glomers 5), a Terrarium guest built on the lin-kv service.
//
// A key's log lives in lin-kv: "next/K" holds the next free offset, and a
// send claims one with compare-and-swap, then stores the message under
// "msg/K/OFFSET" before answering send_ok. A poll reads consecutive
// offsets from the one asked for until it finds none (an offset claimed
// but not yet written ends the poll: it is never skipped). Committed
// offsets live in "commit/K" and only grow (a compare-and-swap loop).
//
// Params {"broken": true} make a deliberately broken variant whose polls
// pass over every offset divisible by 5: those messages are acknowledged
// but never delivered, lost writes the checker must find.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const pollMax = 10

type server struct {
	n      *maelstrom.Node
	kv     *maelstrom.KV
	broken bool
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Broken bool `json:"broken"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	s := &server{n: n, kv: maelstrom.NewLinKV(n), broken: p.Broken}
	n.Handle("send", s.send)
	n.Handle("poll", s.poll)
	n.Handle("commit_offsets", s.commit)
	n.Handle("list_committed_offsets", s.list)
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 800*time.Millisecond)
}

// unavailable makes a service failure this node's reply: a definite
// error where nothing happened, else an indefinite one.
func unavailable(err error, happened bool) error {
	if happened {
		return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
	}
	return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, err.Error())
}

// readInt reads an integer key, absent as -1.
func (s *server) readInt(ctx context.Context, key string) (int, error) {
	v, err := s.kv.ReadInt(ctx, key)
	if maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist {
		return -1, nil
	}
	return v, err
}

func (s *server) send(msg maelstrom.Message) error {
	var b struct {
		Key string `json:"key"`
		Msg any    `json:"msg"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	ctx, cancel := timeout()
	defer cancel()
	for {
		next, err := s.readInt(ctx, "next/"+b.Key)
		if err != nil {
			return unavailable(err, false)
		}
		from := any(next)
		if next < 0 {
			next, from = 0, nil
		}
		err = s.kv.CompareAndSwap(ctx, "next/"+b.Key, from, next+1, from == nil)
		if maelstrom.ErrorCode(err) == maelstrom.PreconditionFailed {
			continue // another send claimed it
		}
		if err != nil {
			return unavailable(err, true)
		}
		if err := s.kv.Write(ctx, fmt.Sprintf("msg/%s/%d", b.Key, next), b.Msg); err != nil {
			return unavailable(err, true)
		}
		return s.n.Reply(msg, map[string]any{"type": "send_ok", "offset": next})
	}
}

func (s *server) poll(msg maelstrom.Message) error {
	var b struct {
		Offsets map[string]int `json:"offsets"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	ctx, cancel := timeout()
	defer cancel()
	// every key is read at once: a poll of many keys (Maelstrom's final
	// polls ask for every key from offset 0) must fit in one timeout
	out := map[string][][2]any{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed error
	for key, from := range b.Offsets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs, err := s.readLog(ctx, key, from)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && failed == nil {
				failed = err
			}
			if len(msgs) > 0 {
				out[key] = msgs
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		return unavailable(failed, false)
	}
	return s.n.Reply(msg, map[string]any{"type": "poll_ok", "msgs": out})
}

// readLog reads consecutive offsets of key from the one asked for, up to
// pollMax messages, until an offset holds none.
func (s *server) readLog(ctx context.Context, key string, from int) ([][2]any, error) {
	var msgs [][2]any
	for off := max(from, 0); len(msgs) < pollMax; off++ {
		var v any
		err := s.kv.ReadInto(ctx, fmt.Sprintf("msg/%s/%d", key, off), &v)
		if maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist {
			break
		}
		if err != nil {
			return nil, err
		}
		if s.broken && off%5 == 0 {
			continue
		}
		msgs = append(msgs, [2]any{off, v})
	}
	return msgs, nil
}

func (s *server) commit(msg maelstrom.Message) error {
	var b struct {
		Offsets map[string]int `json:"offsets"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	ctx, cancel := timeout()
	defer cancel()
	for key, off := range b.Offsets {
		for {
			cur, err := s.readInt(ctx, "commit/"+key)
			if err != nil {
				return unavailable(err, true)
			}
			if cur >= off {
				break
			}
			from := any(cur)
			if cur < 0 {
				from = nil
			}
			err = s.kv.CompareAndSwap(ctx, "commit/"+key, from, off, from == nil)
			if maelstrom.ErrorCode(err) == maelstrom.PreconditionFailed {
				continue
			}
			if err != nil {
				return unavailable(err, true)
			}
			break
		}
	}
	return s.n.Reply(msg, map[string]any{"type": "commit_offsets_ok"})
}

func (s *server) list(msg maelstrom.Message) error {
	var b struct {
		Keys []string `json:"keys"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	ctx, cancel := timeout()
	defer cancel()
	out := map[string]int{}
	for _, key := range b.Keys {
		v, err := s.readInt(ctx, "commit/"+key)
		if err != nil {
			return unavailable(err, false)
		}
		if v >= 0 {
			out[key] = v
		}
	}
	return s.n.Reply(msg, map[string]any{"type": "list_committed_offsets_ok", "offsets": out})
}
