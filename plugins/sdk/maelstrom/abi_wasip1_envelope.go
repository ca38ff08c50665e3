//go:build wasip1 && !terrarium_noenvelope

package maelstrom

// This file is left out by the build tag terrarium_noenvelope: the guest
// then exports no on_envelope, and the host hands it every message through
// on_message, to be read by the guest (the path before the host read
// envelopes; BenchmarkEventSplit's "-noenv" layers measure the two side by
// side).

// on_envelope is on_message with the envelope read by the host, with the
// scanner this SDK would run (runtime/abi/jsonscan), natively: the guest
// skips reading it (docs/ABI.md, "Envelopes read by the host").
//
//go:wasmexport on_envelope
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onEnvelope(from, ptr, n int32, src, dest, body, typ, msgID, inReplyTo int64) {
	if global.deliverRead(from, input("on_envelope", ptr, n), src, dest, body, typ, msgID, inReplyTo) {
		waitIdle()
	}
}
