package server

import (
	"net/url"
	"strings"
	"testing"
)

// readQuery reads what url.ParseQuery and Values.Get read, and fails where
// url.ParseQuery fails.
func TestReadQueryAsParseQuery(t *testing.T) {
	for _, raw := range []string{
		"", "filter=userName+eq+%22a%22", "filter=&filter=x", "filter=x&filter=y", "filt%65r=x",
		"count=5&startIndex=2&sortBy=userName&sortOrder=descending&attributes=a,b&excludedAttributes=c",
		"filter=%zz", "x=%zz&filter=a", "%zz=1", "a;b=1", "filter=a;b", "&&filter=a&", "filter", "=x",
		"filter=a%20b+c", strings.Repeat("x=1&", 100) + "filter=a", strings.Repeat("x=%zz&", 100),
	} {
		got, err := readQuery(raw)
		v, werr := url.ParseQuery(raw)
		want := listQuery{v.Get("filter"), v.Get("sortBy"), v.Get("sortOrder"), v.Get("attributes"),
			v.Get("excludedAttributes"), v.Get("startIndex"), v.Get("count")}
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) || (err == nil && got != want) {
			t.Errorf("%q: got %+v, %v; url.ParseQuery %+v, %v", raw, got, err, want, werr)
		}
	}
}
