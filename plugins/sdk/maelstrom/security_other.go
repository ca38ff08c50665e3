//go:build !wasip1

package maelstrom

func hostKey(int32, int32) ([]byte, error)         { return nil, errNoHost }
func hostAttack(int32, int32, int32, []byte) int32 { return noHost }
func hostRecorded(int32) ([]byte, error)           { return nil, errNoHost }

func hostHMAC([]byte, []byte) ([]byte, error)         { return nil, errNoHost }
func hostSign([]byte) ([]byte, error)                 { return nil, errNoHost }
func hostVerify([]byte, []byte, []byte) (bool, error) { return false, errNoHost }
