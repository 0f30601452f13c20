package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/internal/textdiff"
)

// goldenDir holds the golden transcripts the simulators' TestTranscripts
// compare with.
var goldenDir = filepath.Join("..", "..", "fixtures", "transcripts")

// goldenArgs are the simulate flags that give each golden transcript:
// the options each simulator's TestTranscripts builds the file with.
var goldenArgs = map[string][]string{
	"entra-default.txt":                 {"--idp", "entra"},
	"entra-flag.txt":                    {"--idp", "entra", "--entra-flag"},
	"entra-roles-single.txt":            {"--idp", "entra", "--entra-role-mode", "single"},
	"entra-roles-complex.txt":           {"--idp", "entra", "--entra-role-mode", "complex"},
	"entra-roles-complex-one-patch.txt": {"--idp", "entra", "--entra-role-mode", "complex", "--entra-roles-one-patch"},
	"entra-roles-assertive.txt":         {"--idp", "entra", "--entra-role-mode", "assertive", "--entra-flag"},
	"entra-gallery-nulls.txt":           {"--idp", "entra", "--entra-gallery", "--entra-nulls"},
	"entra-cycle-initial.txt":           {"--idp", "entra", "--entra-cycle", "initial"},
	"entra-cycle-on-demand.txt":         {"--idp", "entra", "--entra-cycle", "on-demand", "--entra-flag"},

	"okta-aiw.txt": {"--idp", "okta"},
	"okta-oin.txt": {"--idp", "okta", "--okta-app", "oin"},

	"google-default.txt":                     {"--idp", "google"},
	"google-one-user.txt":                    {"--idp", "google", "--users", "1"},
	"google-three-users-other-seed.txt":      {"--idp", "google", "--users", "3"},
	"google-probe.txt":                       {"--idp", "google", "--google-probe"},
	"google-update-put.txt":                  {"--idp", "google", "--google-update", "put"},
	"google-update-patch.txt":                {"--idp", "google", "--google-update", "patch"},
	"google-string-booleans.txt":             {"--idp", "google", "--google-string-booleans"},
	"google-delete.txt":                      {"--idp", "google", "--google-deprovision", "delete"},
	"google-put-string-booleans-delete.txt":  {"--idp", "google", "--google-update", "put", "--google-string-booleans", "--google-deprovision", "delete"},
	"google-patch-string-booleans-probe.txt": {"--idp", "google", "--google-update", "patch", "--google-string-booleans", "--google-probe"},
	"google-put-suspend.txt":                 {"--idp", "google", "--google-update", "put", "--google-deprovision", "suspend"},
}

// goldenPopulation is what each simulator's TestTranscripts provisions,
// unless the file's flags say otherwise.
var goldenPopulation = map[string][]string{
	"entra":  {"--users", "2", "--groups", "1", "--seed", "7"},
	"okta":   {"--users", "1", "--groups", "1", "--seed", "7"},
	"google": {"--users", "1", "--seed", "7"},
}

// goldenFiles lists the golden transcripts.
func goldenFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden transcripts in %s: %v", goldenDir, err)
	}
	return files
}

// TestDryRunIsGoldenTranscript: simulate --dry-run with a mode's flags
// prints exactly that mode's golden transcript — for every file under
// fixtures/transcripts, with no --url, no token and a random prefix — so
// the dry run shows what the simulator sends, and a golden file no CLI
// flags reach fails here.
func TestDryRunIsGoldenTranscript(t *testing.T) {
	for _, file := range goldenFiles(t) {
		name := filepath.Base(file)
		args, ok := goldenArgs[name]
		if !ok {
			t.Errorf("%s: no simulate flags give this golden transcript (add them to goldenArgs)", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			pop := slices.Clone(goldenPopulation[args[1]])
			for i := 0; i+1 < len(pop); i += 2 {
				if slices.Contains(args, pop[i]) {
					pop[i+1] = args[slices.Index(args, pop[i])+1]
				}
			}
			code, out, errs := runSim(t, context.Background(), append(append([]string{"--dry-run"}, args...), pop...)...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			if out != string(want) {
				t.Errorf("simulate --dry-run %s differs from %s:\n%s", strings.Join(append(args, pop...), " "), name, lineDiff(string(want), out))
			}
			if !strings.Contains(errs, "nothing was sent") {
				t.Errorf("stderr does not say that nothing was sent:\n%s", errs)
			}
		})
	}
}

// TestDryRunReportsItsOwnFailure: a step that fails against the reference
// server is the simulator's bug, not the target's (nothing was sent to
// it): the dry run still prints the transcript, names the step on stderr
// and exits 1, since the transcript is then not what the IdP sends.
func TestDryRunReportsItsOwnFailure(t *testing.T) {
	orig := findIdP
	findIdP = func(name string) (idp, bool) {
		if name != "wrong" {
			return orig(name)
		}
		return idp{name: "wrong", build: func(c *simConfig, base client.Config) (plan, error) {
			sc := scenario.Scenario{Name: "wrong", IdP: "wrong", Steps: []scenario.Step{{Name: "expects a teapot", Source: "doc: none",
				Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users"}, Expect: []scenario.Expectation{scenario.StatusIn(http.StatusTeapot)}}}}
			return plan{scenarios: []scenario.Scenario{sc}, client: base}, nil
		}}, true
	}
	t.Cleanup(func() { findIdP = orig })
	code, out, errs := runSim(t, context.Background(), "--idp", "wrong", "--dry-run")
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
	if !strings.HasPrefix(out, "# wrong / expects a teapot — doc: none\nGET /Users\n") {
		t.Errorf("no transcript:\n%s", out)
	}
	if !strings.Contains(errs, "wrong / expects a teapot did not pass against the reference server") {
		t.Errorf("stderr does not name the step:\n%s", errs)
	}
}

// lineDiff shows the first line where got leaves want.
func lineDiff(want, got string) string {
	i, w, g := textdiff.FirstLine(want, got)
	return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i, w, g)
}

// header is a golden transcript's step line: "# scenario / step — source",
// the source possibly labelled [unverified].
var header = regexp.MustCompile(`^# (.+?) / (.+) — (.*)$`)

// TestGoldenTranscriptSources: every step line of every golden transcript
// names its source — a document, page or log — or is labelled
// [unverified]; none has an empty source, so each request can be traced
// to the catalog (issue 15: provenance on every step).
func TestGoldenTranscriptSources(t *testing.T) {
	for _, file := range goldenFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		steps := 0
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "#") {
				continue
			}
			steps++
			m := header.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: a step line without the form \"# scenario / step — source\": %s", filepath.Base(file), i+1, line)
				continue
			}
			source, unverified := strings.CutSuffix(m[3], "[unverified]")
			if strings.TrimSpace(source) == "" && !unverified {
				t.Errorf("%s:%d: no source: %s", filepath.Base(file), i+1, line)
			}
		}
		if steps == 0 {
			t.Errorf("%s: no step lines", filepath.Base(file))
		}
	}
}
