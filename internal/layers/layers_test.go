package layers_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/scimharness/scimharness"

// pkg is what go list says of one package: its transitive non-test
// imports.
type pkg struct {
	ImportPath string
	Deps       []string
}

// listModule runs go list over the whole module.
func listModule(t *testing.T) []pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go list needs the go command: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	for d := json.NewDecoder(&stdout); ; {
		var p pkg
		err := d.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages in %s: not the module", len(pkgs), module)
	}
	return pkgs
}

// under reports whether path is the module's package dir or below it.
func under(path, dir string) bool {
	p := module + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

// rule is one arrow of the architecture: no package selected by from may
// depend on a package that forbidden reports.
type rule struct {
	name      string
	from      func(path string) bool
	forbidden func(dep string) bool
	// skip, when not empty, names the edge that still breaks the rule
	// and the issue that removes it: the rule is then checked and the
	// edges reported by t.Skip, not failed. Empty for every rule today.
	skip string
	// from → bad breaks the rule and from → good does not: made-up
	// edges for TestRulesCanFail.
	example struct{ from, bad, good string }
}

// m is the import path of the module's package dir.
func m(dir string) string { return module + "/" + dir }

func within(dirs ...string) func(string) bool {
	return func(path string) bool {
		return slices.ContainsFunc(dirs, func(d string) bool { return under(path, d) })
	}
}

func inModule(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// testing, Ginkgo and Gomega: what a binary must not link.
func testFramework(dep string) bool {
	return dep == "testing" || strings.HasPrefix(dep, "github.com/onsi/ginkgo") || strings.HasPrefix(dep, "github.com/onsi/gomega")
}

var rules = []rule{
	{
		name: "scim and wire import no package of the module", from: within("scim", "wire"), forbidden: inModule,
		example: struct{ from, bad, good string }{m("scim"), m("server/schema"), "strings"},
	},
	{
		name: "server/... imports only server/..., scim, wire and fixtures",
		from: within("server"),
		forbidden: func(dep string) bool {
			return inModule(dep) && !within("server", "scim", "wire", "fixtures")(dep)
		},
		example: struct{ from, bad, good string }{m("server/broken"), m("harness/client"), m("server/servertest")},
	},
	{
		name: "harness/... imports nothing from simulators, suites or certify", from: within("harness"), forbidden: within("simulators", "suites", "certify"),
		example: struct{ from, bad, good string }{m("harness/target"), m("suites/checks"), m("server/servertest")},
	},
	{
		name: "simulators/... imports nothing from suites or certify", from: within("simulators"), forbidden: within("suites", "certify"),
		example: struct{ from, bad, good string }{m("simulators/okta"), m("certify"), m("harness/client")},
	},
	{
		name:      "the binary and what it starts in process do not link testing, Ginkgo or Gomega",
		from:      within("cmd/scimharness", "server/servertest", "server/store/postgres/ephemeral"),
		forbidden: testFramework,
		example:   struct{ from, bad, good string }{m("cmd/scimharness"), "github.com/onsi/ginkgo/v2", "net/http/httptest"},
	},
}

// TestImportDirection checks every rule against go list.
func TestImportDirection(t *testing.T) {
	pkgs := listModule(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			var broken []string
			matched := 0
			for _, p := range pkgs {
				if !r.from(p.ImportPath) {
					continue
				}
				matched++
				for _, d := range p.Deps {
					if r.forbidden(d) {
						broken = append(broken, strings.TrimPrefix(p.ImportPath, module+"/")+" → "+strings.TrimPrefix(d, module+"/"))
					}
				}
			}
			if matched == 0 {
				t.Fatal("the rule selects no package: it checks nothing")
			}
			if len(broken) == 0 {
				return
			}
			msg := "imports against the rule (transitive, non-test):\n  " + strings.Join(broken, "\n  ")
			if r.skip != "" {
				t.Skipf("%s (known: %s)", msg, r.skip)
			}
			t.Error(msg)
		})
	}
}

// TestRulesCanFail: each rule selects its example package, forbids its
// bad edge and allows its good one, so that a rule cannot pass vacuously.
func TestRulesCanFail(t *testing.T) {
	for _, r := range rules {
		e := r.example
		switch {
		case e.from == "":
			t.Errorf("rule %q has no example", r.name)
		case !r.from(e.from):
			t.Errorf("rule %q does not select %s", r.name, e.from)
		case !r.forbidden(e.bad):
			t.Errorf("rule %q allows %s → %s", r.name, e.from, e.bad)
		case r.forbidden(e.good):
			t.Errorf("rule %q forbids %s → %s", r.name, e.from, e.good)
		}
	}
}
