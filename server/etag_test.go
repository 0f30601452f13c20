package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestETags covers RFC 7644 §3.14: versions as weak entity tags, If-Match
// on writes (412 when stale), If-None-Match on reads (304 when current).
func TestETags(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("etag", obj{"title": "v1"}), "id")
	path := "/Users/" + id
	current := func() string {
		t.Helper()
		r := c.do("GET", path, "")
		want(t, r, http.StatusOK, "")
		et := r.Header.Get("ETag")
		if et == "" || et != str(r.Body, "meta", "version") {
			t.Fatalf("ETag %q, meta.version %q", et, str(r.Body, "meta", "version"))
		}
		if !strings.HasPrefix(et, `W/"`) && !strings.HasPrefix(et, `"`) {
			t.Fatalf("ETag %q is not an entity tag", et)
		}
		return et
	}
	v1 := current()

	t.Run("If-Match current on PUT", func(t *testing.T) {
		r := c.do("PUT", path, js(obj{"userName": "etag", "title": "v2"}), "If-Match", v1)
		want(t, r, http.StatusOK, "")
		if r.Header.Get("ETag") == v1 || r.Header.Get("ETag") != current() {
			t.Errorf("ETag after PUT %q (before %q)", r.Header.Get("ETag"), v1)
		}
	})
	stale := v1
	v2 := current()
	if v2 == stale {
		t.Fatalf("version did not change on PUT: %q", v2)
	}

	t.Run("If-Match stale", func(t *testing.T) {
		tests := []struct {
			method, body string
		}{
			{"PUT", js(obj{"userName": "etag", "title": "lost"})},
			{"PATCH", patchBody(obj{"op": "replace", "path": "title", "value": "lost"})},
			{"DELETE", ""},
		}
		for _, tc := range tests {
			t.Run(tc.method, func(t *testing.T) {
				r := c.do(tc.method, path, tc.body, "If-Match", stale)
				want(t, r, http.StatusPreconditionFailed, "")
				if got := c.mustGet(path); str(got, "title") != "v2" {
					t.Errorf("title = %v after a 412", got["title"])
				}
				if current() != v2 {
					t.Error("a 412 changed the version")
				}
			})
		}
	})
	t.Run("If-Match current on PATCH", func(t *testing.T) {
		r := c.do("PATCH", path, patchBody(obj{"op": "replace", "path": "title", "value": "v3"}), "If-Match", v2)
		want(t, r, http.StatusOK, "")
		if str(r.Body, "title") != "v3" {
			t.Errorf("title = %v", r.Body["title"])
		}
	})
	t.Run("If-Match strong form and lists", func(t *testing.T) {
		v := current()
		strong := strings.TrimPrefix(v, "W/")
		want(t, c.do("PATCH", path, patchBody(obj{"op": "replace", "path": "title", "value": "v4"}), "If-Match", strong), http.StatusOK, "")
		v = current()
		want(t, c.do("PATCH", path, patchBody(obj{"op": "replace", "path": "title", "value": "v5"}), "If-Match", `W/"nope", `+v), http.StatusOK, "")
	})
	t.Run("If-Match *", func(t *testing.T) {
		want(t, c.do("PATCH", path, patchBody(obj{"op": "replace", "path": "title", "value": "star"}), "If-Match", "*"), http.StatusOK, "")
	})
	t.Run("If-None-Match", func(t *testing.T) {
		v := current()
		r := c.do("GET", path, "", "If-None-Match", v)
		want(t, r, http.StatusNotModified, "")
		if r.Header.Get("ETag") != v {
			t.Errorf("304 ETag %q, want %q", r.Header.Get("ETag"), v)
		}
		want(t, c.do("GET", path, "", "If-None-Match", "*"), http.StatusNotModified, "")
		r = c.do("GET", path, "", "If-None-Match", stale)
		want(t, r, http.StatusOK, "")
		if str(r.Body, "id") != id {
			t.Errorf("stale If-None-Match: %s", r.Raw)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		want(t, c.do("PUT", "/Users/nope", js(obj{"userName": "x"}), "If-Match", "*"), http.StatusNotFound, "")
		want(t, c.do("GET", "/Users/nope", "", "If-None-Match", "*"), http.StatusNotFound, "")
	})
	t.Run("If-Match on DELETE", func(t *testing.T) {
		want(t, c.do("DELETE", path, "", "If-Match", current()), http.StatusNoContent, "")
		want(t, c.do("GET", path, "", "If-None-Match", "*"), http.StatusNotFound, "")
	})
	t.Run("groups", func(t *testing.T) {
		g := c.createGroup("etag group")
		gp := "/Groups/" + str(g, "id")
		v := str(g, "meta", "version")
		want(t, c.do("PATCH", gp, patchBody(obj{"op": "replace", "path": "displayName", "value": "renamed"}), "If-Match", v), http.StatusOK, "")
		want(t, c.do("PATCH", gp, patchBody(obj{"op": "replace", "path": "displayName", "value": "again"}), "If-Match", v), http.StatusPreconditionFailed, "")
		want(t, c.do("DELETE", gp, "", "If-Match", v), http.StatusPreconditionFailed, "")
	})
}
