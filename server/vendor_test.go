package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoVendorInGenericHandlers: package server knows providers only
// through package provider's hooks. None of its files imports a vendor's
// package (server/provider/<name>), and no identifier or string literal
// names a vendor or its paths: a vendor's behaviour belongs in its provider
// package (comments may still say which vendor a hook was made for).
func TestNoVendorInGenericHandlers(t *testing.T) {
	vendors := []string{"huddle", "board", "humbol", "holaspirit", "/people/companies", "permissiongroup"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, im := range f.Imports {
			if p := strings.Trim(im.Path.Value, `"`); strings.Contains(p, "/server/provider/") {
				t.Errorf("%s imports %s: the server must reach providers through package provider's hooks", name, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var text string
			switch n := n.(type) {
			case *ast.Ident:
				text = n.Name
			case *ast.BasicLit:
				text = n.Value
			default:
				return true
			}
			for _, v := range vendors {
				if strings.Contains(strings.ToLower(text), v) {
					t.Errorf("%s: %s names %q: vendor behaviour belongs in its provider package", fset.Position(n.Pos()), text, v)
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no file of package server was checked")
	}
}
