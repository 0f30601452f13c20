package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/suites/internal/nested"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/differential"
)

// envFuzzCases names a directory of cases saved by `scimharness fuzz
// --save`: the suite replays each against its target, so that a bug the
// fuzzer found stays fixed in the same run as the conformance checks. No
// case is committed with the repository: the cases are the target's own.
const envFuzzCases = "SCIM_FUZZ_CASES"

// fuzzCaseLabel selects the replayed cases alone (-ginkgo.label-filter).
const fuzzCaseLabel = "fuzz-case"

var _ = Describe("saved differential fuzzing cases ($"+envFuzzCases+")", Label(fuzzCaseLabel), func() {
	dir := os.Getenv(envFuzzCases)
	if dir == "" {
		return
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *.json case in %s", dir)
	}
	if err != nil {
		// A directory named but empty is a mistake, not a pass.
		It("finds the cases of "+dir, func() { Fail(envFuzzCases + ": " + err.Error()) })
		return
	}
	for i, file := range files {
		It("replays "+filepath.Base(file), func(ctx SpecContext) {
			cs, err := differential.Load(file)
			Expect(err).NotTo(HaveOccurred())
			if missing := tg.Missing(caseFeatures(cs)); len(missing) > 0 {
				Skip("the case needs " + strings.Join(missing, ", ") + ", which the target does not support")
			}
			// Each case under a prefix of its own: one left over cannot
			// disturb the next.
			if err := replayCase(ctx, tg.Client, tg.BaseURL, file, cs, fmt.Sprintf("%s-%dx", tg.Prefix, i+1)); err != nil {
				Fail(err.Error())
			}
		})
	}
})

// replayCase replays cs, loaded from file, against c under prefix, by
// differential.Replay; the error names the file, the request that
// disagreed, how, and the case with its curl reproduction.
func replayCase(ctx context.Context, c *client.Client, baseURL, file string, cs *differential.Disagreement, prefix string) error {
	why, leftovers, err := differential.Replay(ctx, c, cs, prefix)
	if len(leftovers) > 0 {
		err = errors.Join(err, fmt.Errorf("not cleaned up: %s", strings.Join(leftovers, "; ")))
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", filepath.Base(file), err)
	case why != "":
		return fmt.Errorf("fuzz case %s (%s, %s) does not answer as the reference did: %s\nthe case, as saved:\n%s",
			filepath.Base(file), cs.Kind, cs.Clause, why, cs.Format(target.SafeURL(baseURL)))
	}
	return nil
}

// caseFeatures are the features of harness/target a case exercises: a
// target that does not declare one cannot be held to the case.
func caseFeatures(cs *differential.Disagreement) []string {
	var out []string
	add := func(f string) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(cs.Groups) > 0 {
		add(target.Groups)
	}
	for _, r := range cs.Requests {
		q, _ := url.ParseQuery(r.Query)
		switch {
		case r.Method == http.MethodPatch:
			add(target.Patch)
		case q.Get("sortBy") != "":
			add(target.Sort)
		}
		if q.Get("filter") != "" {
			add(target.Filter)
		}
		if strings.HasPrefix(r.Path, "/Groups") {
			add(target.Groups)
		}
	}
	return out
}

// TestSavedFuzzCasesReplayInTheSuite runs the suite, as a user would, with
// SCIM_FUZZ_CASES naming two cases the fuzzer saved against two
// deliberate bugs (a filter, and a PATCH of group members): against a
// server with one of the bugs the suite fails, naming that case's file,
// its request and the disagreement, and passes the other case; against
// the reference server both pass.
func TestSavedFuzzCasesReplayInTheSuite(t *testing.T) {
	if os.Getenv(envFuzzCases) != "" {
		t.Skip("this is a run of saved cases (perhaps the nested one)")
	}
	gobin := nested.Go(t)
	const token = "fuzz-cases-test-token"
	serve := func(bug string) string {
		var b *broken.Bug
		if bug != "" {
			bb, ok := broken.ByName(bug)
			if !ok {
				t.Fatalf("no bug %q", bug)
			}
			b = &bb
		}
		h, err := broken.Handler(b, token)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		return ts.URL + "/scim/v2"
	}
	connect := func(base string) *client.Client {
		c, err := client.New(client.Config{BaseURL: base, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	dir := t.TempDir()
	files := map[string]string{} // bug → the case file found against it
	for _, bug := range []string{"ignores-not", "remove-members-wipes-all"} {
		res, err := differential.Run(context.Background(), differential.Config{
			Target: connect(serve(bug)), Reference: connect(serve("")),
			Sort: true, Patch: true, Groups: true, Seed: 7, Requests: 500, Prefix: "fc",
		})
		if err != nil || res.Disagreement == nil {
			t.Fatalf("%s: no case found (%v)", bug, err)
		}
		p, err := res.Disagreement.Save(dir, 7)
		if err != nil {
			t.Fatal(err)
		}
		files[bug] = filepath.Base(p)
	}
	if len(files) != 2 || files["ignores-not"] == files["remove-members-wipes-all"] {
		t.Fatalf("two cases saved under one name: %v", files)
	}
	suite := func(base string) (string, error) {
		cmd := exec.Command(gobin, "test", "-v", "-count=1", "-run", "^TestConformance$", ".", "-args", "-ginkgo.label-filter="+fuzzCaseLabel, "-ginkgo.v")
		cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+base, target.EnvToken+"="+token, envFuzzCases+"="+dir, "SCIM_REPORT_DIR=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := suite(serve("ignores-not"))
	if err == nil {
		t.Fatalf("the suite passed a case against the bug it was found on:\n%s", out)
	}
	failing := files["ignores-not"]
	for _, want := range []string{"fuzz case " + failing, "GET /Users?", "filter=", "does not answer as the reference did", "1 Passed", "1 Failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failing run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) {
		t.Errorf("the suite's output carries the token:\n%s", out)
	}
	if out, err := suite(serve("")); err != nil || !strings.Contains(out, "2 Passed") {
		t.Errorf("against the reference server the cases do not pass (%v):\n%s", err, out)
	}
}
