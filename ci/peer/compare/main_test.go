package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	pin := func(run, id string) Finding {
		return Finding{Run: run, ID: id, Clause: "RFC 7643 §4.1.1 (MUST NOT)", Why: "w"}
	}
	cases := []struct {
		name       string
		pinned     []Finding
		got        []string
		incomplete []string
		ok         bool
		line       string
	}{
		{"every failure pinned", []Finding{pin("conform", "a/b")}, []string{"conform a/b"}, nil, true, "pinned      conform a/b"},
		{"a failure not pinned", nil, []string{"conform a/b"}, nil, false, "UNPINNED    conform a/b"},
		{"a pin that no longer fails", []Finding{pin("fuzz", "filter")}, nil, nil, false, "STALE PIN   fuzz filter"},
		{"a pin twice", []Finding{pin("conform", "a/b"), pin("conform", "a/b")}, []string{"conform a/b"}, nil, false, "DUPLICATE PIN  conform a/b"},
		{"an interrupted run with nothing failed", nil, nil, []string{"conform: interrupted after 3 of 100 checks"}, false, "INCOMPLETE  conform"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, k := range c.got {
				got[k] = true
			}
			lines, ok := compare(c.pinned, got, c.incomplete)
			if ok != c.ok {
				t.Errorf("ok = %v, want %v; lines %q", ok, c.ok, lines)
			}
			found := false
			for _, l := range lines {
				found = found || strings.HasPrefix(l, c.line)
			}
			if !found {
				t.Errorf("no line starting %q in %q", c.line, lines)
			}
		})
	}
}

func TestReadFindingsRefusesAPinWithoutItsClause(t *testing.T) {
	cases := []struct {
		name, yaml string
		ok         bool
	}{
		{"clause with keyword", "findings:\n  - {run: conform, id: a, clause: 'RFC 7644 §3.4.2.5 (MUST be supported)', why: w}\n", true},
		{"IdP habit with source", "findings:\n  - {run: simulate/entra, id: a, clause: 'RFC 7643 §2.3.2', source: 'Entra TUT', why: w}\n", true},
		{"no keyword, no source", "findings:\n  - {run: conform, id: a, clause: 'RFC 7643 §2.3.2', why: w}\n", false},
		{"no RFC clause", "findings:\n  - {run: conform, id: a, clause: 'MUST', why: w}\n", false},
		{"no why", "findings:\n  - {run: conform, id: a, clause: 'RFC 7643 §4.1.1 MUST NOT'}\n", false},
		{"unknown field", "findings:\n  - {run: conform, id: a, clause: 'RFC 7643 §4.1.1 MUST NOT', why: w, level: x}\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "findings.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readFindings(p)
			if (err == nil) != c.ok {
				t.Errorf("readFindings error = %v, want ok %v", err, c.ok)
			}
		})
	}
}

// The pinned list of the repository must itself be well-formed.
func TestTheRepositorysFindingsAreWellFormed(t *testing.T) {
	fs, err := readFindings("../findings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no findings read")
	}
}

func TestCollectReadsEachRunsFailures(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conform/results.yaml", "verdict: fail\nrun: 'complete: 3 of 3 checks ran'\nchecks:\n  - id: a/pass\n    status: pass\n  - id: a/fail\n    status: fail\n  - id: a/warn\n    status: warn\n  - id: a/blocked\n    status: blocked\n")
	for _, idp := range []string{"entra", "okta"} {
		write("simulate-"+idp+"/report.json", `{"summary":{"verdict":"pass"},"results":[{"scenario":"s","status":"pass"}]}`)
	}
	write("simulate-google/report.json", `{"summary":{"verdict":"fail"},"results":[{"scenario":"g1","status":"pass"},{"scenario":"g1","status":"fail"},{"scenario":"g2","status":"skip"}]}`)
	write("fuzz.out", "disagreement (sort, RFC 7644 §3.4.2.3): …\nfail: a disagreement after 3 requests\n")
	got, incomplete, err := collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"conform a/fail", "conform a/blocked", "simulate/google g1", "fuzz sort"}
	if len(got) != len(want) || len(incomplete) != 0 {
		t.Errorf("got %v, incomplete %v; want %v", got, incomplete, want)
	}
	for _, k := range want {
		if !got[k] {
			t.Errorf("%q not collected; got %v", k, got)
		}
	}

	write("conform/results.yaml", "verdict: incomplete\nrun: 'interrupted after 1 of 3 checks'\nchecks: []\n")
	write("fuzz.out", "fuzz: interrupted\n")
	write("simulate-okta/report.json", `{"interrupted":"interrupted after 1 of 5 scenarios","summary":{"verdict":"incomplete"},"results":[{"scenario":"s","status":"incomplete"}]}`)
	_, incomplete, err = collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(incomplete) != 3 {
		t.Errorf("incomplete = %q, want conform, simulate okta and fuzz", incomplete)
	}
}
