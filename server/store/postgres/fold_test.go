package postgres

import (
	"os"
	"strings"
	"testing"
	"unicode"
)

// TestFoldMigration keeps migrations/0001_fold.sql equal to what Go's
// unicode tables give. SCIM_UPDATE_FOLD_MIGRATION=1 rewrites the file —
// only before it is released: afterwards, a change needs a new migration.
func TestFoldMigration(t *testing.T) {
	const path = "migrations/0001_fold.sql"
	want := foldMigration()
	if os.Getenv("SCIM_UPDATE_FOLD_MIGRATION") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s does not match the unicode tables of this Go (Unicode %s): add a migration that replaces the fold functions "+
			"and reindexes (see the file's header)", path, unicode.Version)
	}
}

// orbit lists r's simple case-folding orbit.
func orbit(r rune) []rune {
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}

// TestFoldIsEqualFold checks, over every rune, that fold equality is
// exactly strings.EqualFold: the unique indexes and eq filters compare it,
// so uniqueness and lookups agree.
func TestFoldIsEqualFold(t *testing.T) {
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		o := orbit(r)
		rep := foldRune(r)
		if !strings.EqualFold(string(rep), string(r)) {
			t.Fatalf("foldRune(%U) = %U, not in its orbit", r, rep)
		}
		for _, f := range o {
			if foldRune(f) != rep {
				t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U, in the same orbit", r, rep, f, foldRune(f))
			}
		}
		// Runes of other orbits that lower/upper case leads to must not fold
		// together unless EqualFold says so.
		for _, x := range []rune{unicode.ToLower(r), unicode.ToUpper(r), unicode.ToTitle(r), rep} {
			if (foldRune(x) == rep) != strings.EqualFold(string(x), string(r)) {
				t.Fatalf("foldRune(%U) == foldRune(%U) is %v, EqualFold says %v", x, r, foldRune(x) == rep, !(foldRune(x) == rep))
			}
		}
	}
	for _, c := range [][2]string{{"ſam", "SAM"}, {"KELVIN", "kelvin"}, {"Straße", "STRAẞE"}, {"ÉLAN", "élan"}} {
		if fold(c[0]) != fold(c[1]) || !strings.EqualFold(c[0], c[1]) {
			t.Errorf("fold(%q) = %q, fold(%q) = %q", c[0], fold(c[0]), c[1], fold(c[1]))
		}
	}
	if fold("İ") == fold("i") {
		t.Errorf("İ: fold %q vs %q", fold("İ"), fold("i"))
	}
}
