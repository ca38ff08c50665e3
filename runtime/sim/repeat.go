package sim

import "time"

// Repeat runs fn at first, first+every, first+2·every, ... for every time
// before stop, in the order the equivalent loop of At calls made now would
// give: the occurrences take consecutive sequence numbers reserved now, so
// they tie-break with other events exactly as if all had been queued at
// once. Only the next occurrence is ever in the queue (each one queues its
// successor), so a schedule of 10^8 occurrences costs one queue entry, not
// 10^8. every must be positive; a first at or after stop schedules nothing.
func (s *Sim) Repeat(first, every, stop time.Duration, fn func()) {
	if every <= 0 || first >= stop {
		return
	}
	n := uint64((stop-first-1)/every) + 1
	base := s.seq
	s.seq += n
	var k uint64
	var next func()
	next = func() {
		k++
		if k < n {
			at := first + time.Duration(k)*every
			s.q.push(event{at: max(int64(at), s.now), seq: base + 1 + k, kind: evFunc, fn: next})
		}
		fn()
	}
	s.q.push(event{at: max(int64(first), s.now), seq: base + 1, kind: evFunc, fn: next})
}
