package filter

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, filter string }{
		{"entra", `userName eq "1b1b4ebb-6b3a-4b2e-8ac8-6ab6b5e0d5f4"`},
		{"complex", `userType eq "Employee" and (emails[type eq "work" and value co "@example.com" and primary eq true] or not (title pr)) and meta.lastModified gt "2011-05-13T04:42:34Z"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	rt := resourceType(b, "User")
	users := loadDocs(b, rt, "users.json")
	for _, bc := range []struct{ name, filter string }{
		{"userName-eq", `userName eq "BJENSEN"`},
		{"value-filter-3", `emails[type eq "work" and value co "@example.com" and primary eq true]`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e, err := Parse(bc.filter)
			if err != nil {
				b.Fatal(err)
			}
			m, err := Compile(e, rt)
			if err != nil {
				b.Fatal(err)
			}
			if !m(users[0]) {
				b.Fatal("no match")
			}
			b.ReportAllocs()
			for b.Loop() {
				m(users[0])
			}
		})
	}
}
