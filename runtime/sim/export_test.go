package sim

// Send queues a message between two endpoints as a node would, for the
// tests and benchmarks of package sim_test.
func (s *Sim) Send(from, to int32, msg []byte) int32 { return s.send(from, to, msg) }
