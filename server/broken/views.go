package broken

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The bugs in this file are in the views a write is read back through —
// POST /.search, the create's Location, the projection of a write's
// answer — which only the schema-driven checks (suites/checks/schema.go)
// read for every attribute. Each names the generated checks that see it on
// the reference server's own /Schemas.

// viewBugs are the bugs of this file, appended to All's.
func viewBugs() []Bug {
	return []Bug{
		{
			Name:        "users-search-ignores-filter",
			Description: "serves POST /Users/.search but ignores its filter, answering every user: a query by POST must mean what the same query by GET means (RFC 7644 §3.4.3)",
			Wrap:        searchIgnoresFilter("Users"),
			Fails:       []string{"schema/User/nickName/patch-remove", "schema/User/title/patch-remove"},
		},
		{
			Name:        "location-names-username",
			Description: "builds the create's Location header and meta.location from the userName instead of the id, so the URI of the created resource answers 404 (RFC 7644 §3.3)",
			Wrap:        locationNamesUsername,
			Fails:       []string{"schema/User/title/create", "schema/User/userName/create"},
		},
		{
			Name:        "write-ignores-attributes",
			Description: "ignores ?attributes= and ?excludedAttributes= on PUT and PATCH and answers the whole resource, though §3.9 applies to \"any operation that returns a resource\" (RFC 7644 §3.9)",
			Wrap:        writeIgnoresAttributes,
			Fails:       []string{"schema/User/name/put-attributes", "schema/User/name/put-excluded", "schema/Group/members/put-excluded"},
		},
	}
}

// locationNamesUsername rewrites the 201 answer of a user's create: the
// last segment of its Location and meta.location becomes the userName.
func locationNamesUsername(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, id := resourcePath(r.URL.Path); endpoint != "Users" || id != "" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if loc := rec.Header().Get("Location"); rec.Code == http.StatusCreated && loc != "" && json.Unmarshal(body, &doc) == nil {
			_, name, _ := field(doc, "userName")
			wrong := loc[:strings.LastIndex(loc, "/")+1] + url.PathEscape(fmt.Sprint(name))
			rec.Header().Set("Location", wrong)
			if meta, _ := doc["meta"].(map[string]any); meta != nil {
				meta["location"] = wrong
			}
			body = marshal(doc)
		}
		replay(w, rec, body)
	})
}

// writeIgnoresAttributes drops the projection parameters of PUT and PATCH.
func writeIgnoresAttributes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPatch {
			q := r.URL.Query()
			q.Del("attributes")
			q.Del("excludedAttributes")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}
