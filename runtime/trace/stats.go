package trace

import "time"

// Stats counts what happened in a run.
type Stats struct {
	Sent       uint64 `json:"messages_sent"`
	Delivered  uint64 `json:"messages_delivered"`
	Dropped    uint64 `json:"messages_dropped"`
	Duplicated uint64 `json:"messages_duplicated"`
	Events     uint64 `json:"events"`
	Crashes    uint64 `json:"crashes"`
	// ForgedReplies counts replies a client ignored because they came from
	// another endpoint than the one its request went to.
	ForgedReplies uint64        `json:"forged_replies"`
	Virtual       time.Duration `json:"virtual_ns"`
	Wall          time.Duration `json:"wall_ns"`
}

// Add sums o into st, field by field (for totals over many runs).
func (st *Stats) Add(o Stats) {
	st.Sent += o.Sent
	st.Delivered += o.Delivered
	st.Dropped += o.Dropped
	st.Duplicated += o.Duplicated
	st.Events += o.Events
	st.Crashes += o.Crashes
	st.ForgedReplies += o.ForgedReplies
	st.Virtual += o.Virtual
	st.Wall += o.Wall
}
