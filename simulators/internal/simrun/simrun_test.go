package simrun

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
)

func TestDress(t *testing.T) {
	base := client.Config{BaseURL: "http://x", UserAgent: "other", Headers: map[string]string{"X-Tenant": "t", "Accept": "a"}}
	c := Dress(base, "idp", map[string]string{"Accept": "b", "Content-Type": "c"})
	if c.UserAgent != "idp" || c.Headers["X-Tenant"] != "t" || c.Headers["Accept"] != "b" || c.Headers["Content-Type"] != "c" || c.BaseURL != "http://x" {
		t.Errorf("dressed %+v", c)
	}
	if base.UserAgent != "other" || base.Headers["Accept"] != "a" || len(base.Headers) != 2 {
		t.Errorf("base was modified: %+v", base)
	}
	if c := Dress(client.Config{}, "idp", map[string]string{"Accept": "b"}); c.Headers["Accept"] != "b" {
		t.Errorf("no base headers: %+v", c)
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, ok := range []string{"", "scimh-1a2B_3.x"} {
		if err := CheckPrefix("idp", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"a b", `a"b`, "a/b"} {
		if err := CheckPrefix("idp", bad); err == nil || !strings.HasPrefix(err.Error(), "idp: Prefix") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestRunSettlesPrefix(t *testing.T) {
	sim := Sim{IdP: "idp", Name: "The IdP"}
	var got []string
	generate := func(prefix string) ([]scenario.Scenario, error) {
		got = append(got, prefix)
		return nil, nil
	}
	ctx := context.Background()
	sim.Run(ctx, nil, "mine", scenario.Options{}, generate)
	sim.Run(ctx, nil, "", scenario.Options{Prefix: "runner"}, generate)
	sim.Run(ctx, nil, "same", scenario.Options{Prefix: "same"}, generate)
	sim.Run(ctx, nil, "", scenario.Options{}, generate)
	if len(got) != 4 || got[0] != "mine" || got[1] != "runner" || got[2] != "same" || !strings.HasPrefix(got[3], "scimh-") {
		t.Errorf("prefixes %q", got)
	}
	for _, rs := range [][]scenario.Result{
		sim.Run(ctx, nil, "a", scenario.Options{Prefix: "b"}, generate),
		sim.Run(ctx, nil, "", scenario.Options{}, func(string) ([]scenario.Scenario, error) { return nil, errors.New("bad options") }),
	} {
		if len(rs) != 1 || rs[0].Status != scenario.Error || rs[0].Scenario != "The IdP" || rs[0].IdP != "idp" || !strings.HasPrefix(rs[0].Message, "harness error: ") {
			t.Errorf("%+v", rs)
		}
	}
	if len(got) != 4 {
		t.Error("conflicting prefixes generated scenarios")
	}
}
