package checks

import (
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

// scopedList is a list of the three people of tag, with more query
// parameters.
func scopedList(path, tag string, q map[string]string) string {
	all := map[string]string{"filter": `userName sw "${prefix}-` + tag + `-"`}
	for k, v := range q {
		all[k] = v
	}
	return listPath(path, all)
}

func listCheck(id, name, clause string, features []string, q map[string]string, expect ...scenario.Expectation) Check {
	tag := tagOf(id)
	return Check{
		ID: id, Name: name, Clause: clause, Features: append([]string{target.Filter}, features...),
		Steps: append(people(tag), get("list", scopedList("/Users", tag, q), append([]scenario.Expectation{status(http.StatusOK)}, expect...)...)),
	}
}

func names(tag string, who ...string) []string {
	var out []string
	for _, w := range who {
		out = append(out, uname(tag, w))
	}
	return out
}

// tagOf is the user-name tag of a list check.
func tagOf(id string) string { return "q" + strings.ReplaceAll(id, "/", "-") }
