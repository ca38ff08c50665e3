package tour

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Load reads dir's tour.yaml and checks it against the scenario files
// beside it (every *.yaml but the tour). Problems in the tour are *Error
// values (joined when several); a missing tour or a scenario that does not
// parse is an error naming the file.
func Load(dir string) (*Tour, error) {
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("tour: %w", err)
	}
	scns, err := Scenarios(dir)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Join(dir, FileName), data, scns)
}

// Scenarios parses the scenario files in dir (every *.yaml but the tour),
// by file name.
func Scenarios(dir string) (map[string]*scenario.Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("tour: %w", err)
	}
	out := map[string]*scenario.Scenario{}
	for _, f := range files {
		if filepath.Base(f) == FileName {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tour: %w", err)
		}
		s, err := scenario.Parse(f, b)
		if err != nil {
			return nil, fmt.Errorf("tour: scenario beside the tour: %w", err)
		}
		out[filepath.Base(f)] = s
	}
	return out, nil
}
