package checks

import (
	"fmt"
	"net/http"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/wire"
)

// etagMatchesVersion expects an ETag header equal to meta.version.
func etagMatchesVersion() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		et := ex.Response.Header.Get("ETag")
		v, _ := scenario.Lookup(doc, "meta.version")
		if et == "" {
			return fmt.Errorf("no ETag header (RFC 7644 §3.14)")
		}
		if fmt.Sprint(v) != et {
			return fmt.Errorf("ETag %q differs from meta.version %s (RFC 7644 §3.14)", et, judge.Render(v))
		}
		return nil
	})
}

func etag() []Check {
	const c = "RFC 7644 §3.14"
	f := []string{target.ETag}
	// read is the subject of etag/header and the set-up of the others,
	// graded at its own clause wherever it is.
	subject := scenario.Step{Name: "read the user and its ETag", Clause: c, Level: scenario.Must, Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/${u}"},
		Capture: map[string]string{"etag": "header:ETag"}, Expect: []scenario.Expectation{status(http.StatusOK), etagMatchesVersion()}}
	read := subject
	read.Setup = true
	return []Check{
		{ID: "etag/header", Name: "a resource has an ETag equal to meta.version", Clause: c, Features: f,
			Steps: []scenario.Step{createUser("u", userBody("etag", "eve", nil)), subject}},
		{ID: "etag/if-none-match", Name: "If-None-Match with the current ETag answers 304", Clause: "RFC 7644 §3.14; RFC 7232 §3.2 (If-None-Match on a GET: 304)", Features: f, Level: scenario.Should,
			Steps: []scenario.Step{createUser("u", userBody("etnm", "eve", nil)), read,
				withHeaders(get("GET with If-None-Match", "/Users/${u}", status(http.StatusNotModified)), map[string]string{"If-None-Match": "${etag}"})}},
		{ID: "etag/if-match-stale", Name: "If-Match with a stale ETag is refused with 412", Clause: c, Features: append(f, target.Patch),
			Steps: []scenario.Step{createUser("u", userBody("etim", "eve", nil)), read,
				withHeaders(step("PATCH with the right If-Match", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "title", "One")), patched()), map[string]string{"If-Match": "${etag}"}),
				withHeaders(after(step("PATCH with the now stale If-Match", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "title", "Two")), scimError(http.StatusPreconditionFailed, "")...), "PATCH with the right If-Match"), map[string]string{"If-Match": "${etag}"}),
				after(get("read back: the first change only", "/Users/${u}", status(http.StatusOK), bodyIs("title", "One")), "PATCH with the right If-Match")}},
	}
}
