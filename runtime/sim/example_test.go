package sim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Example embeds the simulator in a test: three echo nodes built from
// plugins/echo, one client, one request, and the reply on virtual time.
func Example() {
	ctx := context.Background()
	// In your own tests: wasm, err := os.ReadFile("echo.wasm")
	wasm, err := gobuild.Build(ctx, "../../plugins/echo")
	if err != nil {
		log.Fatal(err)
	}
	s, err := sim.New(ctx, sim.NewConfig().WithSeed(7))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.LoadModule("echo", wasm); err != nil {
		log.Fatal(err)
	}
	if _, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 3, Module: "echo"}); err != nil {
		log.Fatal(err)
	}
	clients, err := s.AddClients(1)
	if err != nil {
		log.Fatal(err)
	}
	s.At(10*time.Millisecond, func() {
		_ = clients[0].Call("n1", map[string]any{"type": "echo", "echo": "hello"}, time.Second, func(r history.Reply) {
			fmt.Printf("%s after %v: %s\n", r.Type, r.Latency, r.Body)
		})
	})
	if err := s.RunFor(time.Second); err != nil {
		log.Fatal(err)
	}
	fmt.Println("n1 is", s.Node("n1").State(), "at", s.Now())
	fmt.Println("messages delivered:", s.Stats().Delivered)
	// Output:
	// echo_ok after 2ms: {"type":"echo_ok","echo":"hello","in_reply_to":1}
	// n1 is running at 1s
	// messages delivered: 2
}
