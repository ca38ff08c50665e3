package sim

import "github.com/terrarium-sim/terrarium/nodes"

type evKind uint8

const (
	evDeliver evKind = iota + 1
	evTimer
	evWake
	evBoot
	evFunc
	evTimeout // a client call's timeout: evFunc, a no-op once the call is settled
)

// event is one entry of the queue, ordered by (at, seq).
type event struct {
	at   int64
	seq  uint64
	kind evKind
	node *nodes.Node
	id   int64  // timer id
	gen  uint64 // wake generation
	// shift is the node's total paused time when a timer or wake-up was
	// scheduled; if the node has been paused since, the event moves later.
	shift int64
	msg   *message
	// slack is how much earlier than at a delivery could have come within
	// its link's latency range: a chooser may deliver it that much sooner
	// (choice.go); 0 for every other event.
	slack int64
	fn    func()
	call  *call // evTimeout
}

type message struct {
	id      uint64
	from    int32
	to      int32
	toInc   int // the destination's incarnation when sent
	payload []byte
	pending int // copies not yet delivered or dropped, while counted in flight
}

// queue is a binary min-heap of events; values, not pointers, to keep the
// garbage collector out of the hot path.
type queue struct{ h []event }

func (q *queue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (q *queue) push(e event) {
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *queue) pop() event {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = event{}
	q.h = q.h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.less(l, m) {
			m = l
		}
		if r < last && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) peek() *event { return &q.h[0] }
