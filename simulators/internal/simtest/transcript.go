package simtest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/scimharness/scimharness/internal/textdiff"
)

// update rewrites the golden transcripts instead of comparing with them:
// go test ./simulators/... -run Transcript -update
var update = flag.Bool("update", false, "rewrite the golden transcripts under fixtures/transcripts")

// Golden compares got (report.Transcript of a run) with the golden file name under
// fixtures/transcripts (found from the test's directory upwards), or
// rewrites it with -update. A difference fails the test with the first
// line that differs.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(moduleRoot(t), "fixtures", "transcripts", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if string(want) == got {
		return
	}
	i, w, g := textdiff.FirstLine(string(want), got)
	t.Fatalf("%s: what the simulator sends changed at line %d:\n  golden: %s\n  now:    %s\n(review the change against its source; -update rewrites the transcript)", name, i, w, g)
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
