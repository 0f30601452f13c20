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
	// cause pins the sub-attribute filter on two multi-valued attributes,
	// two checks, by what their failing steps say.
	cause := Finding{Run: "conform", IDs: []string{"schema/User/emails/*", "schema/User/ims/*"}, Checks: 2, Message: `^the filter \S+\.value eq`, Clause: "RFC 7644 §3.4.2.2 (MUST)", Why: "w"}
	const filterMsg = "the filter emails.value eq \"x\" does not find the resource 1"
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
		{"a cause pinned by pattern", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put=" + filterMsg}, nil, true, "pinned      conform schema/User/emails/* | schema/User/ims/*  2 checks"},
		{"a pattern's check failing for another reason", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put=" + filterMsg + "|password is returned"}, nil, false, "UNPINNED    conform schema/User/ims/put"},
		{"a check the patterns do not name", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put=" + filterMsg, "conform schema/User/roles/put=" + filterMsg}, nil, false, "UNPINNED    conform schema/User/roles/put"},
		{"a * does not cross a /", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put=" + filterMsg, "conform schema/User/emails/x/y=" + filterMsg}, nil, false, "UNPINNED    conform schema/User/emails/x/y"},
		{"a cause on fewer checks than pinned", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg}, nil, false, "COUNT       conform schema/User/emails/*"},
		{"a check with no failing step of its own", []Finding{cause}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put="}, nil, false, "UNPINNED    conform schema/User/ims/put"},
		{"one failure, two pins", []Finding{cause, pin("conform", "schema/User/emails/create")}, []string{"conform schema/User/emails/create=" + filterMsg, "conform schema/User/ims/put=" + filterMsg}, nil, false, "AMBIGUOUS   conform schema/User/emails/create"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// "RUN ID=msg|msg": a failure and its failing steps' messages.
			got := map[string][]string{}
			for _, k := range c.got {
				k, msgs, _ := strings.Cut(k, "=")
				got[k] = nil
				if msgs != "" {
					got[k] = strings.Split(msgs, "|")
				}
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
		{"patterns with their count", "findings:\n  - {run: conform, ids: ['a/*'], checks: 2, message: '^x', clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", true},
		{"patterns without a count", "findings:\n  - {run: conform, ids: ['a/*'], clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
		{"a count without patterns", "findings:\n  - {run: conform, id: a, checks: 2, clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
		{"both id and ids", "findings:\n  - {run: conform, id: a, ids: ['a/*'], checks: 1, clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
		{"a bad pattern", "findings:\n  - {run: conform, ids: ['a/[x'], checks: 1, clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
		{"a bad message", "findings:\n  - {run: conform, ids: ['a/*'], checks: 1, message: '(', clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
		{"a message on a simulator pin", "findings:\n  - {run: simulate/okta, id: a, message: 'x', clause: 'RFC 7643 §4.1.1 MUST NOT', why: w}\n", false},
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
	write("conform/results.yaml", "verdict: fail\nrun: 'complete: 3 of 3 checks ran'\nchecks:\n  - id: a/pass\n    status: pass\n  - id: a/fail\n    status: fail\n    problems:\n      - {step: s1, status: fail, message: \"first line\\nsent: …\"}\n      - {step: s2, status: blocked, message: waits for s1}\n      - {step: s3, status: warn, message: a warning}\n  - id: a/warn\n    status: warn\n  - id: a/blocked\n    status: blocked\n")
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
		if _, ok := got[k]; !ok {
			t.Errorf("%q not collected; got %v", k, got)
		}
	}
	// Only the failing steps' first lines are the cause a pin's message matches.
	if m := got["conform a/fail"]; len(m) != 1 || m[0] != "first line" {
		t.Errorf("conform a/fail messages = %q, want [\"first line\"]", m)
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
