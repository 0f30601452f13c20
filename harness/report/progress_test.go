package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
)

// fakeTerminal is a terminal as IsTerminal sees one, recording what is
// written to it.
type fakeTerminal struct{ bytes.Buffer }

func (*fakeTerminal) IsTerminal() bool { return true }

// screen is the last line a terminal shows after out: a carriage return
// goes back to the line's start, later characters overwrite earlier ones.
func screen(out string) string {
	lines := strings.Split(out, "\n")
	var line []rune
	col := 0
	for _, r := range lines[len(lines)-1] {
		if r == '\r' {
			col = 0
			continue
		}
		if col < len(line) {
			line[col] = r
		} else {
			line = append(line, r)
		}
		col++
	}
	return string(line)
}

func TestProgressOnATerminal(t *testing.T) {
	tests := []struct {
		name   string
		unit   string
		total  int
		counts []scenario.Status
		want   string // the line on screen before Clear, without the time
	}{
		{"checks", "checks", 192, []scenario.Status{scenario.Pass, scenario.Pass, scenario.Fail, scenario.Skip}, "[  4/192 checks] 2 passed, 1 skipped, 1 failed  "},
		{"unknown total", "steps", 0, []scenario.Status{scenario.Pass, scenario.Warn}, "[2 steps] 1 passed, 1 warned  "},
		{"warnings and errors", "checks", 3, []scenario.Status{scenario.Fail, scenario.Warn, scenario.Error}, "[3/3 checks] 1 warned, 1 failed, 1 errored  "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var term fakeTerminal
			p := report.NewProgress(&term, tt.unit, tt.total)
			if p == nil {
				t.Fatal("no progress line on a terminal")
			}
			report.SetEvery(p, 0)
			for _, st := range tt.counts {
				p.Count(st)
			}
			out := term.String()
			if strings.Count(out, "\r[") != len(tt.counts) || strings.Contains(out, "\n") {
				t.Errorf("want %d redraws of one line, got %q", len(tt.counts), out)
			}
			if got := screen(out); !strings.HasPrefix(got, tt.want) || !strings.HasSuffix(strings.TrimRight(got, " "), "s") {
				t.Errorf("on screen %q, want %q and the time", got, tt.want)
			}
			p.Clear()
			term.WriteString("summary")
			if got := screen(term.String()); got != "summary"+strings.Repeat(" ", len(got)-len("summary")) {
				t.Errorf("after Clear the screen shows %q", got)
			}
			p.Clear() // twice: nothing more to erase
			if strings.HasSuffix(term.String(), " \r") {
				t.Errorf("a second Clear wrote again: %q", term.String())
			}
		})
	}
}

// TestProgressThrottled: counts in quick succession redraw the line once,
// so that thousands of requests a second do not flood the terminal.
func TestProgressThrottled(t *testing.T) {
	var term fakeTerminal
	p := report.NewProgress(&term, "requests", 1000)
	for range 1000 {
		p.Count(scenario.Pass)
	}
	if n := strings.Count(term.String(), "\r["); n < 1 || n > 10 {
		t.Errorf("1000 counts in a burst drew the line %d times", n)
	}
}

// TestNoProgressWhenNotATerminal: a buffer, a pipe and a file get no
// progress line — no \r at all.
func TestNoProgressWhenNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for name, out := range map[string]interface{ Write([]byte) (int, error) }{"buffer": &buf, "pipe": w, "file": f} {
		if report.IsTerminal(out) {
			t.Errorf("%s taken for a terminal", name)
		}
		p := report.NewProgress(out, "checks", 3)
		if p != nil {
			t.Errorf("%s: a progress line", name)
		}
		p.Count(scenario.Pass) // a nil Progress does nothing
		p.Clear()
	}
	if buf.Len() != 0 {
		t.Errorf("written to a buffer: %q", buf.String())
	}
	if st, err := f.Stat(); err != nil || st.Size() != 0 {
		t.Errorf("written to a file: %v %v", st.Size(), err)
	}
}
