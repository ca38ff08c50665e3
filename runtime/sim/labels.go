package sim

// labels interns the message types the loop reads from every send, so that
// a send does not allocate its label: a run has a handful of types, and a
// guest that invents new ones stops being interned at maxLabels.
type labels map[string]string

const maxLabels = 4096

// of returns the type of msg (msgType) as an interned string.
func (l labels) of(msg []byte) string {
	raw := msgTypeBytes(msg)
	if raw == nil {
		return ""
	}
	if s, ok := l[string(raw)]; ok { // no allocation for the lookup
		return s
	}
	s := string(raw)
	if len(l) < maxLabels {
		l[s] = s
	}
	return s
}
