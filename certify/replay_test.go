package certify_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/okta"
)

// replay replays recs against bug (nil: the reference server).
func replay(t *testing.T, recs []record.Recording, bug string) []scenario.Result {
	t.Helper()
	var b *broken.Bug
	if bug != "" {
		x, ok := broken.ByName(bug)
		if !ok {
			t.Fatalf("no bug %q", bug)
		}
		b = &x
	}
	h, err := broken.Handler(b, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	c := newClient(t, client.Config{BaseURL: ts.URL + "/scim/v2", Token: token})
	var out []scenario.Result
	for _, rc := range recs {
		sc := certify.ReplayScenario(rc)
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
		out = append(out, scenario.Run(context.Background(), c, sc, scenario.Options{})...)
	}
	return out
}

func summary(rs []scenario.Result) scenario.Summary { return scenario.Summarize(rs) }

func problems(rs []scenario.Result) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Status >= scenario.Warn && !r.Info {
			b.WriteString(r.Status.String() + " " + r.Step + ": " + r.Message + "\n")
		}
	}
	return b.String()
}

func TestReplayEntraRecording(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, entra.ClientConfig(client.Config{BaseURL: base, Token: token}))
		entra.Run(context.Background(), c, entra.Options{Users: 3, Groups: 1, Seed: 7}, scenario.Options{})
	})
	rs := replay(t, recs, "")
	s := summary(rs)
	if s.Verdict >= scenario.Fail || s.Counts[scenario.Pass] < 20 {
		t.Fatalf("replay against the reference server: %s\n%s", s, problems(rs))
	}
	if s.Counts[scenario.Skip] > 0 {
		t.Errorf("skipped steps:\n%s", skipped(rs))
	}
	rs = replay(t, recs, "rejects-capitalised-ops")
	if s := summary(rs); s.Verdict < scenario.Fail {
		t.Errorf("replay against a server rejecting \"Replace\": %s", s)
	}
}

func TestReplayOktaRecording(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, okta.ClientConfig(client.Config{BaseURL: base, Token: token}))
		okta.Run(context.Background(), c, okta.Options{Users: 2, Groups: 1, App: okta.AppOIN}, scenario.Options{})
	})
	rs := replay(t, recs, "")
	if s := summary(rs); s.Verdict >= scenario.Fail {
		t.Fatalf("replay against the reference server: %s\n%s", s, problems(rs))
	}
	for _, bug := range []string{"rejects-pathless-replace", "lowercases-username", "ignores-filter"} {
		rs := replay(t, recs, bug)
		if s := summary(rs); s.Verdict < scenario.Fail {
			t.Errorf("replay against broken %s: %s", bug, s)
		} else {
			t.Logf("%s: %s", bug, s)
		}
	}
}

func skipped(rs []scenario.Result) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Status == scenario.Skip {
			b.WriteString(r.Step + ": " + r.Message + "\n")
		}
	}
	return b.String()
}
