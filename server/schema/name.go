package schema

// Attribute names are ASCII and case-insensitive (RFC 7643 §2.1:
// ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA, and
// "attribute names are case insensitive"), and so are schema URNs
// (RFC 7643 §3; RFC 8141 §3.1 folds the NID, and every SCIM URN is ASCII).
// They are compared with ASCII case folding only: full Unicode folding
// (strings.EqualFold) makes "paſſword" (U+017F LATIN SMALL LETTER LONG S)
// the password attribute, while a component that lower-cases (the
// redactor) does not, so one secret slips past it (issue 14, #6). A name
// with a non-ASCII byte matches no attribute: it is unknown.
//
// EqualName and FoldName are the one rule: every comparison of attribute
// names, sub-attribute names, schema URNs and resource type ids in
// server/schema, server/patch and server/filter goes through them.

// EqualName reports whether a and b are the same name under ASCII case
// folding. Non-ASCII bytes compare exactly, so "ſ" never equals "s".
func EqualName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// FoldName is name with the ASCII letters A-Z lowered and every other byte
// kept: the key under which EqualName names are equal.
func FoldName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return name
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
