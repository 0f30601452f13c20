package scenario_test

import (
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
)

func TestConfidence(t *testing.T) {
	for c, valid := range map[scenario.Confidence]bool{
		"": true, scenario.Doc: true, scenario.Log: true, scenario.Unverified: true, scenario.Harness: true,
		"weak": false, "Doc": false,
	} {
		if c.Valid() != valid {
			t.Errorf("%q.Valid() = %v", c, !valid)
		}
	}
	e := scenario.StatusIn(200).From("Okta SCIM reference", scenario.Doc)
	if e.Source != "Okta SCIM reference" || e.Confidence != scenario.Doc || len(e.Status) != 1 {
		t.Errorf("From: %+v", e)
	}
}
