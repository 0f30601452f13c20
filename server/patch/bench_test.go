package patch

import "testing"

// BenchmarkApply applies a typical Entra ID update: three operations, one
// of them on a value-filter path.
func BenchmarkApply(b *testing.B) {
	rt := resourceType(b, "User")
	doc := canonical(b, rt, baseUser)
	ops, err := parse(b, body(`[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@contoso.com"},
		{"op":"Replace","path":"name.familyName","value":"Jensen-Smith"},
		{"op":"Replace","path":"active","value":"False"}
	]`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(rt, doc, ops); err != nil {
			b.Fatal(err)
		}
	}
}
