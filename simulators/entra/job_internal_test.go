package entra

import (
	"fmt"
	"testing"
)

// The planned step count (which scales the quarantine minimum) is that of
// the scenarios built, for both cycles, including the initial cycle's
// count made without building them.
func TestJobPlanned(t *testing.T) {
	humbol, err := BuiltinMapping("humbol")
	if err != nil {
		t.Fatal(err)
	}
	two, err := DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	for i := range two.Attributes {
		if two.Attributes[i].Target == "externalId" {
			two.Attributes[i].Matching, two.Attributes[i].Precedence = true, 2
		}
	}
	for _, cycle := range []Cycle{CycleFull, CycleInitial} {
		for _, o := range []Options{
			{Users: 1},
			{Users: 7, Groups: 3},
			{Users: 12, Groups: 30, Flag: true},
			{Users: 6, Groups: 2, Mapping: humbol, Match: MatchEmail},
			{Users: 5, Groups: 1, Mapping: two},
		} {
			o.Cycle = cycle
			t.Run(fmt.Sprintf("%s/%d users/%d groups", cycle, o.Users, o.Groups), func(t *testing.T) {
				j, err := newJob(o)
				if err != nil {
					t.Fatal(err)
				}
				scs, err := Scenarios(o)
				if err != nil {
					t.Fatal(err)
				}
				steps := 0
				for _, sc := range scs {
					steps += len(sc.Steps)
				}
				if j.n != len(scs) || j.planned != steps {
					t.Errorf("job: %d scenarios, %d steps planned; built %d, %d", j.n, j.planned, len(scs), steps)
				}
			})
		}
	}
}
