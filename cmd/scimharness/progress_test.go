package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// fakeTerminal is a terminal as report.IsTerminal sees one, recording what
// is written to it.
type fakeTerminal struct{ bytes.Buffer }

func (*fakeTerminal) IsTerminal() bool { return true }

// shown is what a terminal shows of each line of out: a carriage return
// goes back to the line's start, later characters overwrite earlier ones.
func shown(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		var line []rune
		col := 0
		for _, r := range l {
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
		lines = append(lines, strings.TrimRight(string(line), " "))
	}
	return lines
}

// TestProgressLine: conform, simulate and fuzz keep one progress line up
// to date on a terminal and clear it before the summary; with --quiet, or
// when the output is not a terminal (a pipe, a file, CI), there is none —
// no \r at all (issue 19).
func TestProgressLine(t *testing.T) {
	withFakeIdP(t)
	tg := newTarget(t, handler(t, ""))
	tests := []struct {
		name string
		args []string
		unit string // the progress line's unit
	}{
		{"conform", []string{"conform", "--only", "discovery/"}, "checks]"},
		{"simulate", []string{"simulate", "--idp", "fake", "--url", tg.base(), "--token", testToken}, "steps]"},
		{"fuzz", []string{"fuzz", "--url", tg.base(), "--token", testToken, "--requests", "20", "--users", "2"}, "requests]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var term fakeTerminal // stdout and stderr both
			if code := run(context.Background(), tt.args, &term, &term, noEnv); code != exitOK {
				t.Fatalf("exit %d:\n%s", code, term.String())
			}
			out := term.String()
			if !strings.Contains(out, "\r[") || !strings.Contains(out, tt.unit) {
				t.Errorf("no progress line on a terminal:\n%q", out)
			}
			for _, l := range shown(out) {
				if strings.Contains(l, tt.unit) {
					t.Errorf("the progress line was left on screen: %q", l)
				}
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr, noEnv); code != exitOK {
				t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "\r") {
				t.Errorf("a progress line where the output is not a terminal:\n%q", stderr.String())
			}
			if tt.name == "fuzz" {
				return // fuzz has no --quiet
			}
			term.Reset()
			if code := run(context.Background(), append(tt.args, "--quiet"), &term, &term, noEnv); code != exitOK {
				t.Fatalf("--quiet: exit %d:\n%s", code, term.String())
			}
			if strings.Contains(term.String(), "\r") {
				t.Errorf("a progress line with --quiet:\n%q", term.String())
			}
		})
	}
}
