package entra

import (
	"regexp"
	"strings"
	"testing"
)

func TestSourceURL(t *testing.T) {
	tests := []struct{ source, want string }{
		{"Microsoft Learn: SCIM tutorial", tutURL},
		{"Microsoft Learn: How provisioning works, SCIM tutorial", docURL("How provisioning works")},
		{`Microsoft Learn: SCIM tutorial ("a random GUID as the matching property"); Quarantine status`, tutURL},
		{"SCIMReferenceCode: SCIM_Null_Update_Test", docURL("SCIMReferenceCode")},
		{"Microsoft Learn: Attribute mappings (log)", docURL("Attribute mappings")},
		{"thomaspoignant/scim-patch issue 453 (log)", ""},
	}
	for _, tt := range tests {
		if got := sourceURL(tt.source); got != tt.want {
			t.Errorf("sourceURL(%q) = %q, want %q", tt.source, got, tt.want)
		}
	}
}

// TestEveryNamedSourceLinks: every step whose source names an Entra
// document links to a page, and no source, behaviour or expectation speaks
// in the catalog's tags (issue 19: the reports showed TUT, HOW, MAP, QUAR
// and KNOWN as bare tags) or points at the catalog, a file outside the
// repository.
func TestEveryNamedSourceLinks(t *testing.T) {
	tag := regexp.MustCompile(`\b(TUT|KNOWN|HOW|QUAR|MAP|REF)\b|catalog`)
	for _, o := range []Options{{Users: 4, Groups: 2}, {Users: 4, Groups: 2, RoleMode: RoleSingle, Gallery: true}, {Users: 2, Groups: 1, Flag: true, RoleMode: RoleAssertive}} {
		scs, err := Scenarios(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scs {
			for _, st := range sc.Steps {
				if sourceURL(st.Source) != "" && !strings.HasPrefix(st.SourceURL, "https://") {
					t.Errorf("%s / %s: source %q links nowhere", sc.Name, st.Name, st.Source)
				}
				for what, s := range map[string]string{"source": st.Source, "behaviour": st.Behaviour, "name": st.Name} {
					if tag.MatchString(s) {
						t.Errorf("%s / %s: %s %q speaks in tags", sc.Name, st.Name, what, s)
					}
				}
			}
		}
	}
}
