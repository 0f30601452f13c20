package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
)

// Progress is the one line a long run keeps up to date on a terminal —
// "[ 37/192 checks] 35 passed, 1 failed, 1 skipped  12.3s" — rewritten in
// place with a carriage return, so that a person sees the run move without
// a line per step. It is for terminals only: NewProgress gives nil (whose
// methods do nothing) for a pipe, a file or a CI log, which get the
// summary at the end and no \r at all. Clear it before printing anything
// else.
type Progress struct {
	w     io.Writer
	unit  string
	total int
	start time.Time
	every time.Duration // the least time between two redraws

	mu     sync.Mutex // a simulator may run scenarios concurrently
	done   int
	counts map[scenario.Status]int
	width  int // of the line on screen; 0 when there is none
	drawn  time.Time
}

// NewProgress returns the progress line of a run of total units ("checks",
// "steps", "requests"; total 0 when it is not known beforehand) on w, or
// nil when w is not a terminal (IsTerminal).
func NewProgress(w io.Writer, unit string, total int) *Progress {
	if !IsTerminal(w) {
		return nil
	}
	return &Progress{w: w, unit: unit, total: total, start: time.Now(), every: 100 * time.Millisecond, counts: map[scenario.Status]int{}}
}

// IsTerminal reports whether w is a terminal: an *os.File on a character
// device, or a writer that says it is one with an IsTerminal method (a
// test's fake terminal, a wrapper of a terminal).
func IsTerminal(w io.Writer) bool {
	if t, ok := w.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Count records one more unit done, with its status, and redraws the line
// unless it was drawn less than a tenth of a second ago (a fuzz run does
// thousands of requests a second).
func (p *Progress) Count(st scenario.Status) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.counts[st]++
	if now := time.Now(); p.width == 0 || now.Sub(p.drawn) >= p.every {
		p.draw(now)
	}
}

// Clear erases the line, before other output; the next Count draws it
// again.
func (p *Progress) Clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
		p.width = 0
	}
}

func (p *Progress) draw(now time.Time) {
	var parts []string
	for _, x := range tallyWords {
		if n := p.counts[x.st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, x.word))
		}
	}
	done := fmt.Sprint(p.done)
	if p.total > 0 {
		n := len(fmt.Sprint(p.total))
		done = fmt.Sprintf("%*d/%d", n, p.done, p.total)
	}
	line := fmt.Sprintf("[%s %s] %s  %.1fs", done, p.unit, strings.Join(parts, ", "), now.Sub(p.start).Seconds())
	pad := ""
	if len(line) < p.width { // what is left of a longer line before
		pad = strings.Repeat(" ", p.width-len(line))
	}
	fmt.Fprint(p.w, "\r"+line+pad)
	p.width, p.drawn = max(len(line), p.width), now
}
