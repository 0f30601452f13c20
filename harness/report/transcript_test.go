package report_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// TestTranscriptNormalises: each generated value reads as its placeholder,
// so that two runs with other prefixes, ids and clocks give one transcript.
func TestTranscriptNormalises(t *testing.T) {
	const prefix = "scimh-0a1b2c3d"
	tests := []struct {
		name, url, body, base string
		want                  []string
	}{
		{"prefix", "http://127.0.0.1:4242/scim/v2/Users?filter=userName+eq+%22" + prefix + "-ada%22", "", "",
			[]string{`GET /Users?filter=userName eq "${prefix}-ada"`}},
		{"upper-cased prefix (Okta's spec test)", "http://127.0.0.1:4242/scim/v2/Users?filter=userName+eq+%22" + strings.ToUpper(prefix) + "-ADA%22", "", "",
			[]string{`GET /Users?filter=userName eq "${PREFIX}-ADA"`}},
		{"ids by first appearance", "http://127.0.0.1:4242/scim/v2/Users/6F9619FF-8B86-D011-B42D-00C04FC964FF",
			`{"members":[{"value":"00000000-0000-4000-8000-000000000001"},{"value":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}]}`, "",
			[]string{"GET /Users/<id1>", `{"members":[{"value":"<id2>"},{"value":"<id1>"}]}`}},
		{"passwords, times and the base", "https://scim.example.com/api/scim/Users", `{"password":"hunter2","meta":{"lastModified":"2026-12-03T13:31:14.5Z","location":"https://scim.example.com/api/scim/Users/x"}}`,
			"https://scim.example.com/api/scim",
			[]string{"GET /Users", `{"meta":{"lastModified":"<time>","location":"<base>/api/scim/Users/x"},"password":"<password>"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := []scenario.Result{
				{Scenario: "s", Step: "one", Source: "doc: a page", Verified: true, Exchanges: []wire.Exchange{{Request: wire.Request{Method: "GET", URL: tc.url, Header: http.Header{}, Body: wire.Body(tc.body)}}}},
				{Scenario: "s", Step: "cleanup", Cleanup: true, Exchanges: []wire.Exchange{{Request: wire.Request{Method: "DELETE", URL: tc.url}}}},
			}
			got := report.Transcript(rs, prefix, tc.base)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("transcript lacks %q:\n%s", w, got)
				}
			}
			for _, leak := range []string{prefix, strings.ToUpper(prefix), "hunter2", "DELETE", "127.0.0.1"} {
				if strings.Contains(got, leak) {
					t.Errorf("transcript holds %q:\n%s", leak, got)
				}
			}
			if !strings.HasPrefix(got, "# s / one — doc: a page\n") {
				t.Errorf("transcript does not open with the step and its source:\n%s", got)
			}
		})
	}
}
