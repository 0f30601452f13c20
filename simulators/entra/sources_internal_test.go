package entra

import (
	"strings"
	"testing"
)

func TestSourceURL(t *testing.T) {
	tests := []struct{ source, want string }{
		{"Entra TUT", tutURL},
		{"Entra HOW, TUT", docs["HOW"]},
		{`Entra TUT ("a random GUID as the matching property"); QUAR`, tutURL},
		{"REF: SCIM_Null_Update_Test", docs["REF"]},
		{"Entra MAP catalog note (log)", docs["MAP"]},
		{"thomaspoignant/scim-patch issue 453 (log)", ""},
		{"Unverified for Entra; a HOWTO", ""}, // a tag is a word of its own
	}
	for _, tt := range tests {
		if got := sourceURL(tt.source); got != tt.want {
			t.Errorf("sourceURL(%q) = %q, want %q", tt.source, got, tt.want)
		}
	}
}

// TestEveryTaggedStepLinks: every step whose source names an Entra
// document by its tag links to a page (issue 19: the reports showed TUT,
// HOW, MAP, QUAR and KNOWN as bare tags).
func TestEveryTaggedStepLinks(t *testing.T) {
	for _, o := range []Options{{Users: 4, Groups: 2}, {Users: 4, Groups: 2, RoleMode: RoleSingle, Gallery: true}} {
		scs, err := Scenarios(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scs {
			for _, st := range sc.Steps {
				if sourceURL(st.Source) != "" && !strings.HasPrefix(st.SourceURL, "https://") {
					t.Errorf("%s / %s: source %q links nowhere", sc.Name, st.Name, st.Source)
				}
			}
		}
	}
}
