package filter

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func genFilter(r *rand.Rand, d int, inValue bool) string {
	if d > 55 || r.Intn(4) == 0 {
		atoms := []string{`a pr`, `b eq "x\ty"`, `c gt 1.5e3`, `not eq null`, `d eq TRUE`, `e eq bare`, `f co "\ud83d\ude00"`}
		s := atoms[r.Intn(len(atoms))]
		if !inValue && r.Intn(5) == 0 {
			s = "emails[" + genFilter(r, d+1, true) + "]"
			if r.Intn(2) == 0 {
				s += ".value eq \"v\""
			}
		}
		return s
	}
	switch r.Intn(4) {
	case 0:
		return genFilter(r, d, inValue) + " and " + genFilter(r, d, inValue)
	case 1:
		return genFilter(r, d, inValue) + " OR " + genFilter(r, d, inValue)
	case 2:
		return "not (" + genFilter(r, d+1, inValue) + ")"
	}
	return "(" + genFilter(r, d+1, inValue) + ")"
}

func TestTmpRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ok, bad := 0, 0
	for i := 0; i < 200000; i++ {
		s := genFilter(r, 0, false)
		if len(s) > 20000 {
			continue
		}
		e, err := Parse(s)
		if err != nil {
			if !strings.Contains(err.Error(), "nested") {
				t.Fatalf("%s: %v", s, err)
			}
			bad++
			continue
		}
		ok++
		again, err := Parse(e.String())
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip %q -> %q: %v", s, e.String(), err)
		}
	}
	t.Log(ok, bad)
}
