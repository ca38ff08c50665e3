//go:build !wasip1

package maelstrom

func hostKey(int32, int32) ([]byte, error)         { return nil, errNoHost }
func hostAttack(int32, int32, int32, []byte) int32 { return noHost }
func hostRecorded(int32) ([]byte, error)           { return nil, errNoHost }
