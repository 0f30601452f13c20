package broken

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/scimharness/scimharness/server/schema"
)

// The bugs in this file are seen by the conformance checks only (bulk,
// roles, media types, /Me, .search, passwords): no IdP simulator sends the
// requests they are about. Each wraps the reference server with one
// defect in front of it, as bugs.go's do.

// conformanceBugs are the bugs of this file, appended to All's.
func conformanceBugs() []Bug {
	return []Bug{
		{
			Name:        "bulk-ignores-fail-on-errors",
			Description: "ignores failOnErrors of a BulkRequest and runs every operation after the errors it allowed (RFC 7644 §3.7.3)",
			Wrap:        bulkIgnoresFailOnErrors,
			Fails:       []string{"bulk/fail-on-errors"},
		},
		{
			Name:        "bulk-advertises-too-few-operations",
			Description: "advertises bulk.maxOperations 2 in /ServiceProviderConfig but runs BulkRequests of any size, refusing none with 413 (RFC 7644 §3.7.4)",
			Wrap:        bulkAdvertisesTooFewOperations,
			Fails:       []string{"bulk/max-operations"},
		},
		{
			Name:        "bulk-ignores-bulk-ids",
			Description: "does not resolve \"bulkId:\" references between the operations of a BulkRequest, so a group cannot name the users created with it (RFC 7644 §3.7.1, §3.7.2)",
			Wrap:        bulkIgnoresBulkIDs,
			Fails:       []string{"bulk/group-before-members", "bulk/circular-reference", "bulk/create-with-bulk-id"},
		},
		{
			Name:        "groups-search-ignores-filter",
			Description: "serves POST /Groups/.search but ignores its filter, answering every group: searching by POST is right for Users only (RFC 7644 §3.4.3)",
			Wrap:        searchIgnoresFilter("Groups"),
			Fails:       []string{"search/groups", "schema/Group/members/patch-remove"},
		},
		{
			Name:        "refuses-password-patch",
			Description: "refuses any PATCH that sets a password with 400, although /ServiceProviderConfig says changePassword is supported (RFC 7644 §3.5.2, RFC 7643 §5)",
			Wrap:        refusesPasswordPatch,
			Fails:       []string{"password/change", "schema/User/password/patch-replace"},
		},
		{
			Name:        "answers-application-json",
			Description: "labels every answer with a body Content-Type application/json instead of application/scim+json (RFC 7644 §3.1, §8.1)",
			Wrap:        answersApplicationJSON,
			Fails:       []string{"content/every-answer-media-type", "content/response-media-type"},
		},
		{
			Name:        "me-404",
			Description: "answers GET /Me with 404 instead of the user or 501 Not Implemented; a SHOULD, so the check warns (RFC 7644 §3.11)",
			Wrap:        me404,
			Warns:       []string{"me/get"},
		},
		{
			Name:        "keeps-primary-as-string",
			Description: "answers a role's primary as the string \"True\" instead of the boolean true (RFC 7643 §2.3.2, §4.1.2)",
			Wrap:        keepsPrimaryAsString,
			Fails:       []string{"roles/primary-string-true", "schema/User/roles/create"},
		},
		{
			Name:        "stores-two-primaries",
			Description: "accepts a user with two primary roles and answers with both marked primary (RFC 7643 §2.4: primary at most once)",
			Wrap:        storesTwoPrimaries,
			Fails:       []string{"roles/two-primaries"},
		},
		{
			Name:        "parses-json-role-values",
			Description: "parses a role value holding JSON text and answers it as a JSON object instead of the string sent (RFC 7643 §4.1.2: value is a string)",
			Wrap:        parsesJSONRoleValues,
			Fails:       []string{"roles/json-string-value"},
		},
		{
			Name:        "ignores-string-primary-filter",
			Description: "answers a PATCH whose path filters roles[primary eq \"True\"] with 204 and changes nothing (RFC 7644 §3.5.2.3)",
			Wrap:        ignoresStringPrimaryFilter,
			Fails:       []string{"roles/change-primary-string-filter"},
		},
	}
}

// bulkIgnoresFailOnErrors drops failOnErrors from a BulkRequest: the
// reference server then runs every operation.
func bulkIgnoresFailOnErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, _ := resourcePath(r.URL.Path); endpoint == "Bulk" && r.Method == http.MethodPost {
			r = rewriteBody(r, func(doc map[string]any) {
				if k, _, ok := field(doc, "failOnErrors"); ok {
					delete(doc, k)
				}
			})
		}
		next.ServeHTTP(w, r)
	})
}

// bulkAdvertisesTooFewOperations says maxOperations is 2 while the server
// underneath keeps its own, larger, limit.
func bulkAdvertisesTooFewOperations(next http.Handler) http.Handler {
	return rewriteAnswers(next, func(r *http.Request) bool {
		endpoint, _ := resourcePath(r.URL.Path)
		return endpoint == "ServiceProviderConfig"
	}, func(doc map[string]any) {
		if b, ok := doc["bulk"].(map[string]any); ok {
			b["maxOperations"] = 2
		}
	})
}

// bulkIDRef is the start of a bulkId reference in a JSON string.
var bulkIDRef = regexp.MustCompile(`"bulkId:`)

// bulkIgnoresBulkIDs turns every "bulkId:X" of a BulkRequest into a
// reference to no operation, as a server that treats it as a literal id.
func bulkIgnoresBulkIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, _ := resourcePath(r.URL.Path); endpoint == "Bulk" && r.Method == http.MethodPost {
			r = rewriteRaw(r, func(b []byte) []byte { return bulkIDRef.ReplaceAll(b, []byte(`"bulkId:undefined-`)) })
		}
		next.ServeHTTP(w, r)
	})
}

// searchIgnoresFilter drops the filter of POST /{endpoint}/.search, so
// that the search answers every resource of the endpoint.
func searchIgnoresFilter(endpoint string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ep, id := resourcePath(r.URL.Path); ep == endpoint && id == ".search" && r.Method == http.MethodPost {
				r = rewriteBody(r, func(doc map[string]any) {
					if k, _, ok := field(doc, "filter"); ok {
						delete(doc, k)
					}
				})
			}
			next.ServeHTTP(w, r)
		})
	}
}

// refusesPasswordPatch refuses a PATCH whose body mentions "password".
func refusesPasswordPatch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			var body []byte
			r = rewriteRaw(r, func(b []byte) []byte { body = b; return b })
			if bytes.Contains(body, []byte(`"password"`)) {
				writeError(w, schema.Errorf(schema.InvalidValue, "the password cannot be changed by PATCH"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// answersApplicationJSON relabels every answer that has a body.
func answersApplicationJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(next, r)
		if rec.Body.Len() > 0 {
			rec.Header().Set("Content-Type", "application/json")
		}
		replay(w, rec, rec.Body.Bytes())
	})
}

// me404 answers /Me as an unknown endpoint.
func me404(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, _ := resourcePath(r.URL.Path); endpoint == "Me" {
			writeError(w, schema.StatusError(http.StatusNotFound, "no endpoint %s", r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// keepsPrimaryAsString answers a primary role's primary as "True".
func keepsPrimaryAsString(next http.Handler) http.Handler {
	return rewriteAnswers(next, isUsers, func(doc map[string]any) {
		eachRole(doc, func(role map[string]any) {
			if role["primary"] == true {
				role["primary"] = "True"
			}
		})
	})
}

// storesTwoPrimaries sends the reference server a user with only its first
// primary role marked (which it accepts) and answers the create with every
// role marked primary, as a server that kept both would.
func storesTwoPrimaries(next http.Handler) http.Handler {
	show := rewriteAnswers(next, func(r *http.Request) bool { return r.Method == http.MethodPost && isUsers(r) }, func(doc map[string]any) {
		eachRole(doc, func(role map[string]any) { role["primary"] = true })
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUsers(r) && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
			r = rewriteBody(r, func(doc map[string]any) {
				n := 0
				eachRole(doc, func(role map[string]any) {
					if _, p, _ := field(role, "primary"); p == true {
						if n++; n > 1 {
							k, _, _ := field(role, "primary")
							delete(role, k)
						}
					}
				})
			})
		}
		show.ServeHTTP(w, r)
	})
}

// parsesJSONRoleValues answers a role value that holds a JSON object as
// that object.
func parsesJSONRoleValues(next http.Handler) http.Handler {
	return rewriteAnswers(next, isUsers, func(doc map[string]any) {
		eachRole(doc, func(role map[string]any) {
			var v map[string]any
			if s, ok := role["value"].(string); ok && strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &v) == nil {
				role["value"] = v
			}
		})
	})
}

// ignoresStringPrimaryFilter answers a PATCH with a primary eq "True"
// filter with 204, doing nothing.
func ignoresStringPrimaryFilter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			var body []byte
			r = rewriteRaw(r, func(b []byte) []byte { body = b; return b })
			if bytes.Contains(body, []byte(`primary eq \"True\"`)) {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isUsers reports whether r is about Users (a user, the list, .search).
func isUsers(r *http.Request) bool {
	endpoint, _ := resourcePath(r.URL.Path)
	return endpoint == "Users"
}

// eachRole calls f on every role of a user, or of every user of a list.
func eachRole(doc map[string]any, f func(role map[string]any)) {
	docs := []any{doc}
	if _, rs, ok := field(doc, "Resources"); ok {
		docs, _ = rs.([]any)
	}
	for _, d := range docs {
		m, _ := d.(map[string]any)
		_, roles, _ := field(m, "roles")
		list, _ := roles.([]any)
		for _, role := range list {
			if rm, ok := role.(map[string]any); ok {
				f(rm)
			}
		}
	}
}

// rewriteAnswers lets change edit the JSON object answered (2xx) to the
// requests match selects; other answers pass untouched.
func rewriteAnswers(next http.Handler, match func(*http.Request) bool, change func(doc map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		body := rec.Body.Bytes()
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var doc map[string]any
		if rec.Code/100 == 2 && d.Decode(&doc) == nil && doc != nil {
			change(doc)
			body = marshal(doc)
		}
		replay(w, rec, body)
	})
}
