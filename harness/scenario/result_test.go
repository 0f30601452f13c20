package scenario_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
)

func TestStatusOrderAndText(t *testing.T) {
	for i := 1; i < len(scenario.Statuses); i++ {
		if scenario.Statuses[i-1] >= scenario.Statuses[i] {
			t.Fatalf("statuses out of order: %v", scenario.Statuses)
		}
	}
	for _, s := range scenario.Statuses {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back scenario.Status
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s → %s → %s", s, b, back)
		}
	}
	if _, err := scenario.Status(42).MarshalText(); err == nil {
		t.Error("invalid status marshalled")
	}
	var s scenario.Status
	if err := s.UnmarshalText([]byte("meh")); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestSummarize(t *testing.T) {
	r := func(s scenario.Status, info bool) scenario.Result { return scenario.Result{Status: s, Info: info} }
	tests := []struct {
		name    string
		results []scenario.Result
		verdict scenario.Status
		text    string
	}{
		{"nothing ran", nil, scenario.Skip, "skip: no results"},
		{"all disabled", []scenario.Result{r(scenario.Disabled, false)}, scenario.Disabled, "disabled: 1 disabled"},
		{"skips and passes", []scenario.Result{r(scenario.Skip, false), r(scenario.Pass, false)}, scenario.Pass, "pass: 1 passed, 1 skipped"},
		{"info warnings do not count", []scenario.Result{r(scenario.Pass, false), r(scenario.Warn, true)}, scenario.Pass, "pass: 1 passed, 1 warned (1 info)"},
		{"warnings", []scenario.Result{r(scenario.Warn, true), r(scenario.Warn, false)}, scenario.Warn, "warn: 2 warned (1 info)"},
		{"error is worst", []scenario.Result{r(scenario.Fail, false), r(scenario.Error, false), r(scenario.Pass, false)}, scenario.Error, "error: 1 passed, 1 failed, 1 errored"},
	}
	for _, tt := range tests {
		s := scenario.Summarize(tt.results)
		if s.Verdict != tt.verdict || s.String() != tt.text || s.Total != len(tt.results) {
			t.Errorf("%s: %v (%s)", tt.name, s, s.Verdict)
		}
	}
	b, _ := json.Marshal(scenario.Summarize([]scenario.Result{r(scenario.Fail, false), r(scenario.Pass, false)}))
	if !strings.Contains(string(b), `"counts":{"fail":1,"pass":1}`) || !strings.Contains(string(b), `"verdict":"fail"`) {
		t.Errorf("summary JSON %s", b)
	}
}

func TestLoadTestdata(t *testing.T) {
	sc := load(t, "user-lifecycle.yaml")
	if sc.Name != "user lifecycle" || sc.IdP != "test" || len(sc.Steps) != 7 {
		t.Fatalf("%+v", sc)
	}
	create := sc.Steps[0]
	if create.Capture["userId"] != "id" || len(create.Expect) != 5 || create.Expect[0].Status[0] != 201 || create.Expect[1].Contains != "scim+json" {
		t.Errorf("create step %+v", create)
	}
	if !create.Expect[4].Absent || sc.Steps[1].Expect[2].Length == nil || *sc.Steps[1].Expect[2].Length != 1 {
		t.Errorf("expectations lost")
	}
}

func TestLoadRejects(t *testing.T) {
	for _, in := range []string{
		"name: x\nsteps:\n  - name: a\n    request: {method: GET, path: /Users}\n    expct: []\n", // typo
		"name: x\nsteps: []\n",
		"{not yaml",
		`{"name":"x","steps":[{"name":"a","request":{"method":"GET"},"expect":[{"status":[200],"path":"id"}]}]}`,
	} {
		if _, err := scenario.Load(strings.NewReader(in)); err == nil {
			t.Errorf("Load accepted %q", in)
		}
	}
	// JSON is YAML too.
	sc, err := scenario.Load(strings.NewReader(`{"name":"x","steps":[{"name":"a","request":{"method":"GET","path":"/Users"},"expect":[{"status":[200]}]}]}`))
	if err != nil || sc.Steps[0].Expect[0].Status[0] != 200 {
		t.Errorf("JSON scenario: %v %+v", err, sc)
	}
}
