package entra

import (
	"testing"

	"github.com/scimharness/scimharness/wire"
)

// TestRefusedForm: the capitalised-ops and path-less hints follow a
// refusal of the PATCH's form only, never one of its values (issue 16: the
// hint was printed for a role Humbol does not have).
func TestRefusedForm(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   bool
	}{
		{400, `{"status":"400","scimType":"invalidSyntax","detail":"unknown op \"Replace\""}`, true},
		{400, `{"status":"400","detail":"invalid operation"}`, true},
		{400, `{"status":"400","scimType":"invalidPath","detail":"x"}`, true},
		{400, `not json`, true},
		{400, `{"status":"400","scimType":"invalidValue","detail":"a Humbol user has exactly one role, got 2"}`, false},
		{400, `{"status":"400","scimType":"invalidValue","detail":"role \"Root\" is not a Humbol organization role"}`, false},
		{409, `{"status":"409","scimType":"uniqueness","detail":"op"}`, false},
	} {
		ex := &wire.Exchange{Response: &wire.Response{Status: tc.status, Body: wire.Body(tc.body)}}
		if got := refusedForm(ex); got != tc.want {
			t.Errorf("%d %s: refusedForm %v, want %v", tc.status, tc.body, got, tc.want)
		}
	}
}
