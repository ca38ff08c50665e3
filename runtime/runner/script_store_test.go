package runner_test

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/datadriven"
)

// storeCommands read a node's store as it is now.
func storeCommands() map[string]command {
	return map[string]command{"kv-get": kvGetCmd, "kv-scan": kvScanCmd}
}

// kvGetCmd gives one key of a node's store: "kv-get NODE KEY".
func kvGetCmd(s *script, d *datadriven.TestData) (string, error) {
	p := positional(d)
	if len(p) != 2 {
		return "", fmt.Errorf("kv-get: want NODE KEY, got %d arguments", len(p))
	}
	kvs, err := s.r.Store(p[0])
	if err != nil {
		return "", err
	}
	for _, kv := range kvs {
		if string(kv.Key) == p[1] {
			return fmt.Sprintf("%s = %q", kv.Key, kv.Value), nil
		}
	}
	return p[1] + " absent", nil
}

// kvScanCmd lists a node's keys under a prefix: "kv-scan NODE [PREFIX]".
func kvScanCmd(s *script, d *datadriven.TestData) (string, error) {
	p := positional(d)
	if len(p) < 1 || len(p) > 2 {
		return "", fmt.Errorf("kv-scan: want NODE [PREFIX], got %d arguments", len(p))
	}
	kvs, err := s.r.Store(p[0])
	if err != nil {
		return "", err
	}
	prefix := ""
	if len(p) == 2 {
		prefix = p[1]
	}
	var b strings.Builder
	for _, kv := range kvs {
		if strings.HasPrefix(string(kv.Key), prefix) {
			fmt.Fprintf(&b, "%s\n", kv.Key)
		}
	}
	return b.String(), nil
}
