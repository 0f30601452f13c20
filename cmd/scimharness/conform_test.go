package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runConform(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"conform"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

func TestConformUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"token without url", []string{"--token", "x"}, "need --url"},
		{"store with url", []string{"--url", "http://127.0.0.1:1/scim/v2", "--token", "x", "--store", "memory"}, "do not go with --url"},
		{"unknown store", []string{"--store", "sqlite"}, "use memory or postgres"},
		{"database url without postgres", []string{"--database-url", "postgres://u@127.0.0.1:1/db"}, "needs --store postgres"},
		{"postgres unreachable", []string{"--store", "postgres", "--database-url", "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2"}, "postgres store"},
		{"bad url", []string{"--url", "ftp://x", "--token", "x"}, "not an absolute http(s) URL"},
		{"no credentials", []string{"--url", "http://127.0.0.1:1/scim/v2"}, "no credentials"},
		{"no consent", []string{"--url", "https://scim.example.com/scim/v2", "--token", "x"}, "--yes"},
		{"unknown feature", []string{"--url", "http://127.0.0.1:1/scim/v2", "--token", "x", "--features", "teleport"}, "unknown feature"},
		{"selects nothing", []string{"--url", "http://127.0.0.1:1/scim/v2", "--token", "x", "--only", "nope/"}, "selects no check"},
		{"unreachable", []string{"--url", "http://127.0.0.1:1/scim/v2", "--token", "x"}, "cannot reach"},
		{"extra argument", []string{"--url", "http://127.0.0.1:1/scim/v2", "stray"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runConform(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

// TestConform runs the command against the reference server (exit 0, a
// full certification report, no secret in it) and against broken servers
// (exit 1, the check that sees the bug named in the output).
func TestConform(t *testing.T) {
	for _, tc := range []struct {
		bug       string
		only      string
		code      int
		mentioned string
	}{
		{"", "", exitOK, "profile rfc      success"},
		{"ignores-filter", "filter/", exitFail, "fail  filter/eq"},
		{"500-on-duplicate", "crud/", exitFail, "fail  crud/duplicate-username"},
		{"rejects-capitalised-ops", "patch/", exitFail, "fail  patch/entra-capitalised-ops"},
		// The generated checks' verdict by attribute names the one broken.
		{"add-replaces-multivalued", "schema/User/emails/,schema/User/title/", exitFail, "attributes: 2 exercised by generated checks, 1 with problems: User emails (patch-add fail)"},
	} {
		t.Run("bug="+tc.bug, func(t *testing.T) {
			tg := newTarget(t, handler(t, tc.bug))
			dir := t.TempDir()
			args := []string{"--url", tg.base(), "--token", testToken, "--report-dir", dir}
			if tc.only != "" {
				args = append(args, "--only", tc.only)
			}
			code, out, errOut := runConform(t, args...)
			if code != tc.code || !strings.Contains(out, tc.mentioned) {
				t.Fatalf("exit %d (want %d); %q not in output:\n%s\n%s", code, tc.code, tc.mentioned, out, errOut)
			}
			for _, f := range []string{"results.yaml", "report.html", "report.json", "junit.xml"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte(testToken)) {
					t.Errorf("%s holds the token", f)
				}
			}
			y, _ := os.ReadFile(filepath.Join(dir, "results.yaml"))
			for _, want := range []string{"declaredFeatures:", "profiles:", "command: SCIM_TOKEN=… scimharness conform"} {
				if !bytes.Contains(y, []byte(want)) {
					t.Errorf("results.yaml lacks %q", want)
				}
			}
		})
	}
}

func TestConformSkipsUnsupportedFeatures(t *testing.T) {
	tg := newTarget(t, handler(t, "ignores-filter"))
	code, out, errOut := runConform(t, "--url", tg.base(), "--token", testToken, "--only", "filter/", "--skip-features", "filter")
	if code != exitOK || !strings.Contains(out, "skip  filter/eq") || !strings.Contains(out, "profile rfc      partial") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
}

func TestConformList(t *testing.T) {
	code, out, _ := runConform(t, "--list", "--only", "etag/")
	if code != exitOK || !strings.Contains(out, "etag/if-match-stale") || strings.Contains(out, "filter/") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestConformInProcess: without --url the reference server is started in
// process, so one command runs the same checks anywhere. The counts name
// checks and steps (issue 19), the HTML report's as the terminal's.
func TestConformInProcess(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runConform(t, "--only", "discovery/,crud/", "--report-dir", dir)
	if code != exitOK || !strings.Contains(out, "reference server, in process (memory store)") || !strings.Contains(out, "profile rfc      success") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "\nchecks: 18 (18 passed)\nsteps: pass: ") || strings.Contains(out, "scenarios:") {
		t.Errorf("the counts do not name checks and steps:\n%s", out)
	}
	if h, err := os.ReadFile(filepath.Join(dir, "report.html")); err != nil || !bytes.Contains(h, []byte(">checks: 18 (18 passed)<")) {
		t.Errorf("report.html does not count checks as the terminal does (%v)", err)
	}
	y, err := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"store: memory", "command: scimharness conform --only discovery/,crud/ --report-dir"} {
		if !bytes.Contains(y, []byte(want)) {
			t.Errorf("results.yaml lacks %q:\n%s", want, y)
		}
	}
}

// TestConformSchemaChecks: --only selects the checks generated from the
// target's discovery (issue 17), which exist only once the target is
// open; other prefixes leave them out, and --list says where they come from.
func TestConformSchemaChecks(t *testing.T) {
	code, out, errOut := runConform(t, "--only", "schema/User/title/")
	if code != exitOK || !strings.Contains(out, "pass  schema/User/title/patch-replace") || strings.Contains(out, "schema/User/emails") || strings.Contains(out, "crud/") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runConform(t, "--only", "crud/get-user")
	if code != exitOK || strings.Contains(out, "schema/") {
		t.Fatalf("--only crud/get-user: exit %d:\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runConform(t, "--list", "--only", "schema/")
	if code != exitOK || !strings.Contains(out, "generated at run time from the target's /ResourceTypes and /Schemas") {
		t.Fatalf("--list: exit %d:\n%s", code, out)
	}
	code, _, errOut = runConform(t, "--only", "schema/NoSuchType/")
	if code != exitFail || !strings.Contains(errOut, "selects no check of this target") {
		t.Fatalf("--only schema/NoSuchType/: exit %d:\n%s", code, errOut)
	}
}
