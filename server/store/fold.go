package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold is the one comparison of strings that are not caseExact: Fold(a) ==
// Fold(b) exactly when strings.EqualFold(a, b) (Unicode simple case
// folding), which is what the filter evaluator's eq uses. Uniqueness and
// lookups both use it, in both stores (the memory store's index keys, the
// Postgres store's scim.fold and its unique indexes), so a value that
// collides for uniqueness is also found by `eq`: "İ" (U+0130) folds with
// nothing but itself, where the earlier index key put it with "i" and an
// IdP's lookup-then-create met a 409 for a user no lookup found.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Map(FoldRune, s)
		}
	}
	return strings.ToLower(s) // ASCII: FoldRune lowers ASCII letters only
}

// FoldRune returns the representative of r's simple case-folding orbit:
// its smallest lower-case member, or its smallest member if none is lower
// case.
func FoldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	best, bestLower := r, rune(-1)
	for f := r; ; {
		best = min(best, f)
		if unicode.IsLower(f) && (bestLower < 0 || f < bestLower) {
			bestLower = f
		}
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	if bestLower >= 0 {
		return bestLower
	}
	return best
}
