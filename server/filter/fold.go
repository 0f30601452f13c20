package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case-insensitive string operations with the semantics of strings.EqualFold
// (Unicode simple case folding), which "eq" uses, so that co, sw, ew and the
// orderings agree with eq. None allocates: lowering both strings per
// document would dominate a scan over many resources.

// hasPrefixFold reports whether s begins with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		if a, b := s[0], prefix[0]; a|b < utf8.RuneSelf {
			if lowerASCII(a) != lowerASCII(b) {
				return false
			}
			s, prefix = s[1:], prefix[1:]
			continue
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

// hasSuffixFold reports whether s ends with suffix, ignoring case.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		if a, b := s[len(s)-1], suffix[len(suffix)-1]; a|b < utf8.RuneSelf {
			if lowerASCII(a) != lowerASCII(b) {
				return false
			}
			s, suffix = s[:len(s)-1], suffix[:len(suffix)-1]
			continue
		}
		r1, n1 := utf8.DecodeLastRuneInString(s)
		r2, n2 := utf8.DecodeLastRuneInString(suffix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}

// containsFold reports whether sub occurs in s, ignoring case.
func containsFold(s, sub string) bool {
	for i := 0; ; {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
		if i >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
}

// compareFold orders two strings ignoring case: rune by rune on a folded
// form, and 0 whenever strings.EqualFold holds.
func compareFold(a, b string) int {
	if strings.EqualFold(a, b) {
		return 0
	}
	for a != "" && b != "" {
		r1, n1 := utf8.DecodeRuneInString(a)
		r2, n2 := utf8.DecodeRuneInString(b)
		if f1, f2 := foldRune(r1), foldRune(r2); f1 != f2 {
			if f1 < f2 {
				return -1
			}
			return 1
		}
		a, b = a[n1:], b[n2:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// foldRune maps the runes of one case-folding class to one of them.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(lowerASCII(byte(r)))
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// equalFoldRune reports whether r1 and r2 are equal under simple case
// folding, walking r2's folding orbit as strings.EqualFold does.
func equalFoldRune(r1, r2 rune) bool {
	if r1 == r2 {
		return true
	}
	for r := unicode.SimpleFold(r2); r != r2; r = unicode.SimpleFold(r) {
		if r == r1 {
			return true
		}
	}
	return false
}
