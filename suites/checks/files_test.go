package checks_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/suites/checks"
)

// TestCheckIDsLiveInTheirAreaFile: every check's ID is written, as a
// string literal, only in the file named after its area ("bulk/…" in
// bulk.go), so a reader looking for a check opens the right file (issue
// 13). The package is parsed, not grepped, so comments do not count.
func TestCheckIDsLiveInTheirAreaFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range checks.All() {
		ids[c.ID] = true
	}
	declared := map[string][]string{} // id → files holding it as a literal
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && ids[s] && !slices.Contains(declared[s], name) {
				declared[s] = append(declared[s], name)
			}
			return true
		})
	}
	for id := range ids {
		area, _, _ := strings.Cut(id, "/")
		want := area + ".go"
		if got := declared[id]; len(got) != 1 || got[0] != want {
			t.Errorf("check %s is declared in %v, want only %s", id, got, want)
		}
	}
}
