package broken

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/servertest"
)

// All returns every bug, in a stable order: those IdPs trip over, then
// those only the conformance checks see (conformance.go), those that break
// a feature only in combination (combinations.go), those in the views
// a write is read back through (views.go), those in the discovery
// endpoints beyond their lists (discovery.go), and those in answers real
// IdPs read that the simulators' fidelity work found (fidelity.go). The
// slice is new on each call, so callers may keep or change it.
func All() []Bug {
	return slices.Concat(idpBugs(), conformanceBugs(), combinationBugs(), viewBugs(), discoveryBugs(), fidelityBugs())
}

// idpBugs are the bugs seen in real endpoints that IdPs trip over.
func idpBugs() []Bug {
	return []Bug{
		{
			Name:        "lowercases-username",
			Description: "stores userName lower-cased: a client that created \"Ada@Example.com\" reads back \"ada@example.com\", and IdPs loop sending updates (PostHog 42253, langfuse 13528)",
			Wrap:        lowercasesUsername,
			Fails:       []string{"crud/create-user", "crud/get-user", "schema/User/userName/create"},
		},
		{
			Name:        "ignores-filter",
			Description: "ignores the filter parameter of GET /Users and /Groups and returns every resource, so an IdP looking up one user adopts the wrong one (authorizer 705)",
			Wrap:        ignoresFilter,
			Fails:       []string{"filter/eq", "filter/and", "filter/value-path", "schema/User/nickName/patch-remove"},
		},
		{
			Name:        "404-for-empty-list",
			Description: "answers a list or filter with no results with 404 instead of 200 and totalResults 0; Entra ID quarantines such an app (Entra QUAR)",
			Wrap:        notFoundForEmptyList,
			Fails:       []string{"filter/no-match", "schema/User/nickName/patch-remove"},
		},
		{
			Name:        "remove-members-wipes-all",
			Description: "reads a PATCH remove with path \"members\" and a value array as \"remove every member\", losing the members not listed (entra-docs issue 949)",
			Wrap:        removeMembersWipesAll,
			Fails:       []string{"patch/entra-remove-member-value"},
		},
		{
			Name:        "rejects-capitalised-ops",
			Description: "rejects PATCH operations whose op is not lower case (\"Replace\", as Entra ID sends) with 400 invalidSyntax (elimity-com/scim PR 79, zitadel 9282)",
			Wrap:        rejectsCapitalisedOps,
			Fails:       []string{"patch/entra-capitalised-ops"},
		},
		{
			Name:        "errors-without-scim-body",
			Description: "answers every error with a text/plain body \"error\" instead of the RFC 7644 §3.12 JSON error; Entra ID logs ServiceIncompatible (Entra TUT)",
			Wrap:        errorsWithoutSCIMBody,
			Fails:       []string{"errors/not-found", "crud/duplicate-username", "filter/invalid"},
		},
		{
			Name:        "stores-false-as-string",
			Description: "stores a boolean sent as the string \"True\"/\"False\" (active, primary) as that string and returns it so (SCIMReferenceCode issue 21, django-scim2 issue 35)",
			Wrap:        storesFalseAsString,
			Fails:       []string{"patch/entra-string-boolean"},
		},
		{
			Name:        "500-on-duplicate",
			Description: "answers a duplicate userName or displayName with 500 instead of 409 uniqueness, so IdPs retry forever instead of matching (go-scim issue 65, gravitee 8290)",
			Wrap:        internalErrorOnDuplicate,
			Fails:       []string{"crud/duplicate-username", "crud/duplicate-username-case"},
		},
		{
			Name:        "rejects-pathless-replace",
			Description: "rejects a PATCH replace without a path (Okta's deactivate and group rename) with 400 (scimitar PR 29)",
			Wrap:        rejectsPathlessReplace,
			Fails:       []string{"patch/replace-no-path", "patch/okta-group-rename", "schema/User/title/patch-replace-no-path", "schema/Group/displayName/patch-replace-no-path"},
		},
		{
			Name:        "case-sensitive-filter",
			Description: "treats filter attribute names and operators as case-sensitive (\"USERNAME eq\", \"userName EQ\" give 400 invalidFilter) and compares userName values case-sensitively (scimmy issue 7, wso2 5140)",
			Wrap:        caseSensitiveFilter,
			Fails:       []string{"filter/attribute-case", "filter/operator-case", "filter/value-case-insensitive"},
		},
		{
			Name:        "rejects-application-json",
			Description: "rejects request bodies sent as Content-Type application/json (as Google Workspace sends them) with 415 (indigo-iam 1285, pond/scimitar issue 142)",
			Wrap:        rejectsApplicationJSON,
			Fails:       []string{"content/request-application-json"},
		},
	}
}

// ByName returns the bug called name.
func ByName(name string) (Bug, bool) {
	for _, b := range All() {
		if b.Name == name {
			return b, true
		}
	}
	return Bug{}, false
}

// Names lists the bugs' names, for messages that must say which exist.
func Names() []string {
	var names []string
	for _, b := range All() {
		names = append(names, b.Name)
	}
	return names
}

// Handler returns the reference server of server/servertest — memory
// store, the default tenant at /scim/v2 with bearer token token, logs
// discarded — wrapped by bug.Wrap. A nil bug gives the plain reference
// server, which tests use to show that the same exchange is answered
// correctly without the bug.
func Handler(bug *Bug, token string) (http.Handler, error) {
	if token == "" {
		return nil, errors.New("broken: a token is required")
	}
	opts := []servertest.Option{servertest.WithToken(token)}
	if bug != nil {
		if bug.Wrap == nil {
			return nil, fmt.Errorf("broken: bug %q has no Wrap", bug.Name)
		}
		opts = append(opts, servertest.WithWrap(bug.Wrap))
	}
	s, err := servertest.NewUnstartedServer(opts...)
	if err != nil {
		return nil, err
	}
	return s.Handler, nil
}

// lowercasesUsername lower-cases userName in what clients send, so the
// stored value — and every answer, lists included — is lower case.
func lowercasesUsername(next http.Handler) http.Handler {
	lower := func(v any) any {
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
		return v
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if endpoint != "Users" || id == ".search" {
			next.ServeHTTP(w, r)
			return
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut:
			r = rewriteBody(r, func(doc map[string]any) {
				if k, v, ok := field(doc, "userName"); ok {
					doc[k] = lower(v)
				}
			})
		case http.MethodPatch:
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				_, path, _ := field(op, "path")
				vk, value, hasValue := field(op, "value")
				p, _ := path.(string)
				switch {
				case strings.EqualFold(p, "userName") && hasValue:
					op[vk] = lower(value)
				case p == "" && hasValue:
					if m, ok := value.(map[string]any); ok {
						if k, v, ok := field(m, "userName"); ok {
							m[k] = lower(v)
						}
					}
				}
				return op
			})
		}
		next.ServeHTTP(w, r)
	})
}

// ignoresFilter drops the filter of a GET list, as a server that never
// implemented filtering does: the IdP's lookup gets every resource.
func ignoresFilter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if r.Method == http.MethodGet && id == "" && (endpoint == "Users" || endpoint == "Groups") {
			q := r.URL.Query()
			for k := range q {
				if strings.EqualFold(k, "filter") {
					q.Del(k)
				}
			}
			r = r.Clone(r.Context())
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// notFoundForEmptyList turns an empty ListResponse into a 404, the
// "nothing found" of a REST API that is not SCIM.
func notFoundForEmptyList(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if !isList(r, endpoint, id) {
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		if rec.Code == http.StatusOK {
			var list struct {
				TotalResults *int `json:"totalResults"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &list) == nil && list.TotalResults != nil && *list.TotalResults == 0 {
				writeError(w, schema.StatusError(http.StatusNotFound, "no %s found", endpoint))
				return
			}
		}
		replay(w, rec, rec.Body.Bytes())
	})
}

// removeMembersWipesAll rewrites {"op":"remove","path":"members","value":[…]}
// to {"op":"remove","path":"members"}: the server ignores the value, which
// is what a strict reading of RFC 7644 §3.5.2.2 without Entra's tolerance does.
func removeMembersWipesAll(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if r.Method == http.MethodPatch && endpoint == "Groups" && id != "" {
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				k, p := opParts(op)
				vk, value, _ := field(op, "value")
				if list, ok := value.([]any); ok && len(list) > 0 && strings.EqualFold(k, "remove") && strings.EqualFold(p, "members") {
					delete(op, vk)
				}
				return op
			})
		}
		next.ServeHTTP(w, r)
	})
}

// rejectsCapitalisedOps refuses any op that is not exactly "add", "remove"
// or "replace".
func rejectsCapitalisedOps(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			var bad string
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				_, kind, _ := field(op, "op")
				if k, ok := kind.(string); ok && k != strings.ToLower(k) && bad == "" {
					bad = k
				}
				return op
			})
			if bad != "" {
				writeError(w, schema.Errorf(schema.InvalidSyntax, "unknown op %q: use add, remove or replace", bad))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// errorsWithoutSCIMBody replaces every error body with plain text, as a
// framework's default error page does.
func errorsWithoutSCIMBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(next, r)
		if rec.Code < 400 {
			replay(w, rec, rec.Body.Bytes())
			return
		}
		rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
		replay(w, rec, []byte("error"))
	})
}

// storesFalseAsString remembers, per resource id, the boolean attributes a
// client set with a string ("active", and "primary" of a multi-valued
// attribute's elements) and returns them as those strings from then on —
// what a server that stores the JSON it received without coercion does.
// The reference server underneath coerces them; the wrapper puts the
// strings back in every answer about that resource.
func storesFalseAsString(next http.Handler) http.Handler {
	var (
		mu sync.Mutex
		// state: id → "active" or "<attr>.primary" (attr lower-cased) → the string sent.
		state = map[string]map[string]string{}
	)
	note := func(id string, sets map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		for key, v := range sets {
			s, isString := v.(string)
			if state[id] == nil {
				state[id] = map[string]string{}
			}
			if isString {
				state[id][key] = s
			} else {
				delete(state[id], key) // a real boolean replaces the string
			}
		}
	}
	// booleans lists the boolean attributes doc sets: "active" and each
	// multi-valued attribute whose elements carry "primary".
	booleans := func(doc map[string]any) map[string]any {
		sets := map[string]any{}
		for k, v := range doc {
			if strings.EqualFold(k, "active") {
				sets["active"] = v
			}
			if list, ok := v.([]any); ok {
				for _, e := range list {
					if m, ok := e.(map[string]any); ok {
						if _, p, ok := field(m, "primary"); ok {
							if _, isString := p.(string); isString || p == true {
								sets[strings.ToLower(k)+".primary"] = p
							}
						}
					}
				}
			}
		}
		return sets
	}
	apply := func(doc map[string]any) (changed bool) {
		id, _ := doc["id"].(string)
		mu.Lock()
		defer mu.Unlock()
		for key, s := range state[id] {
			if key == "active" {
				if _, ok := doc["active"]; ok {
					doc["active"], changed = s, true
				}
				continue
			}
			attr := strings.TrimSuffix(key, ".primary")
			for k, v := range doc {
				if strings.ToLower(k) != attr {
					continue
				}
				list, _ := v.([]any)
				for _, e := range list {
					if m, ok := e.(map[string]any); ok {
						if b, ok := m["primary"].(bool); ok && b == strings.EqualFold(s, "true") {
							m["primary"], changed = s, true
						}
					}
				}
			}
		}
		return changed
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if (endpoint != "Users" && endpoint != "Groups") || id == ".search" {
			next.ServeHTTP(w, r)
			return
		}
		var sets map[string]any
		switch r.Method {
		case http.MethodPost, http.MethodPut:
			r = rewriteBody(r, func(doc map[string]any) { sets = booleans(doc) })
		case http.MethodPatch:
			sets = map[string]any{}
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				_, path, _ := field(op, "path")
				_, value, _ := field(op, "value")
				p, _ := path.(string)
				switch m, isObject := value.(map[string]any); {
				case p == "" && isObject:
					for k, v := range booleans(m) {
						sets[k] = v
					}
				case strings.EqualFold(p, "active"):
					sets["active"] = value
				case p != "" && !strings.ContainsAny(p, "[."):
					for k, v := range booleans(map[string]any{p: value}) {
						sets[k] = v
					}
				}
				return op
			})
		case http.MethodDelete:
			mu.Lock()
			delete(state, id)
			mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		doc := map[string]any{}
		if json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
			replay(w, rec, rec.Body.Bytes())
			return
		}
		if rec.Code/100 == 2 && len(sets) > 0 {
			target := id
			if target == "" {
				target, _ = doc["id"].(string) // a POST: the id is new
			}
			if target != "" {
				note(target, sets)
			}
		}
		changed := false
		if list, ok := doc["Resources"].([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok && apply(m) {
					changed = true
				}
			}
		} else {
			changed = apply(doc)
		}
		if !changed {
			// Untouched answers keep the reference server's bytes (and
			// its attribute order).
			replay(w, rec, rec.Body.Bytes())
			return
		}
		replay(w, rec, marshal(doc))
	})
}

// internalErrorOnDuplicate turns a 409 uniqueness into a 500: the database
// constraint fired and nobody mapped it.
func internalErrorOnDuplicate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := record(next, r)
		var e struct {
			ScimType string `json:"scimType"`
		}
		if rec.Code == http.StatusConflict && json.Unmarshal(rec.Body.Bytes(), &e) == nil && e.ScimType == schema.Uniqueness {
			writeError(w, schema.StatusError(http.StatusInternalServerError, "internal error: duplicate key value violates unique constraint"))
			return
		}
		replay(w, rec, rec.Body.Bytes())
	})
}

// rejectsPathlessReplace refuses a replace without "path", the form in
// which Okta deactivates users and renames groups.
func rejectsPathlessReplace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			bad := false
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				if k, p := opParts(op); strings.EqualFold(k, "replace") && p == "" {
					bad = true
				}
				return op
			})
			if bad {
				writeError(w, schema.Errorf(schema.InvalidPath, "path is required for replace"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// filterKeywords are the filter operators and logical words, which RFC 7644
// §3.4.2.2 makes case-insensitive.
var filterKeywords = map[string]bool{
	"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "gt": true, "ge": true,
	"lt": true, "le": true, "pr": true, "and": true, "or": true, "not": true,
}

// caseSensitiveFilter accepts filters only in the schema's exact spelling
// and lower-case operators, and matches userName eq case-sensitively.
func caseSensitiveFilter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		raw := r.URL.Query().Get("filter")
		if r.Method != http.MethodGet || id != "" || raw == "" || (endpoint != "Users" && endpoint != "Groups") {
			next.ServeHTTP(w, r)
			return
		}
		for _, tok := range filterWords(raw) {
			if filterKeywords[strings.ToLower(tok)] && tok != strings.ToLower(tok) {
				writeError(w, schema.Errorf(schema.InvalidFilter, "unknown operator %q", tok))
				return
			}
		}
		expr, err := filter.Parse(raw)
		if err != nil {
			next.ServeHTTP(w, r) // the reference server explains the syntax error
			return
		}
		rt, _ := schema.Default().ResourceType(strings.TrimSuffix(endpoint, "s"))
		if bad := miscased(rt, expr, nil); bad != "" {
			writeError(w, schema.Errorf(schema.InvalidFilter, "unknown attribute %q", bad))
			return
		}
		c, ok := expr.(filter.Compare)
		want, isString := c.Value.(string)
		if !ok || c.Op != filter.Eq || c.Path.Name != "userName" || !isString {
			next.ServeHTTP(w, r)
			return
		}
		// userName eq "x": drop the case-insensitive matches the reference
		// server (rightly) found.
		rec := record(next, r)
		var list map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
			replay(w, rec, rec.Body.Bytes())
			return
		}
		all, _ := list["Resources"].([]any)
		kept := []any{}
		for _, e := range all {
			if m, ok := e.(map[string]any); ok && m["userName"] == want {
				kept = append(kept, e)
			}
		}
		if n, err := strconv.Atoi(fmt.Sprint(list["totalResults"])); err == nil {
			list["totalResults"] = n - (len(all) - len(kept))
		}
		list["Resources"], list["itemsPerPage"] = kept, len(kept)
		replay(w, rec, marshal(list))
	})
}

// filterWords splits a filter into its words outside quoted strings.
func filterWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote bool
	)
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote && c == '\\':
			i++
		case c == '"':
			quote = !quote
			flush()
		case quote:
		case c == ' ' || c == '(' || c == ')' || c == '[' || c == ']':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return words
}

// miscased returns the first attribute path of e not spelled as the schema
// spells it; parent is the attribute of an enclosing value filter.
func miscased(rt *schema.ResourceType, e filter.Expr, parent *schema.Attribute) string {
	check := func(p filter.AttrPath) (*schema.Attribute, string) {
		if parent != nil {
			a := parent.Sub(p.Name)
			if a != nil && a.Name != p.Name {
				return nil, p.Name
			}
			return a, ""
		}
		ref, ok := rt.Find(p.URN, p.Name, p.Sub)
		if !ok {
			return nil, "" // unknown in any case: the reference server says so
		}
		if ref.Attr.Name != p.Name || (ref.Sub != nil && ref.Sub.Name != p.Sub) {
			return nil, p.Name
		}
		return ref.Attr, ""
	}
	switch x := e.(type) {
	case filter.Compare:
		_, bad := check(x.Path)
		return bad
	case filter.And:
		return first(miscased(rt, x.Left, parent), miscased(rt, x.Right, parent))
	case filter.Or:
		return first(miscased(rt, x.Left, parent), miscased(rt, x.Right, parent))
	case filter.Not:
		return miscased(rt, x.X, parent)
	case filter.ValuePath:
		a, bad := check(x.Path)
		if bad != "" || a == nil {
			return bad
		}
		return miscased(rt, x.Filter, a)
	}
	return ""
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rejectsApplicationJSON accepts request bodies only as application/scim+json.
func rejectsApplicationJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		hasBody := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch
		if hasBody && strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json") {
			writeError(w, schema.StatusError(http.StatusUnsupportedMediaType, "Content-Type %q is not supported; send application/scim+json", ct))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// resourcePath splits a request path below the SCIM base (/scim/v2 or
// /t/{tenant}/scim/v2) into the endpoint and the rest: "/scim/v2/Users/42"
// gives ("Users", "42"), "/scim/v2/Users" gives ("Users", "").
func resourcePath(p string) (endpoint, id string) {
	const base = "/scim/v2/"
	i := strings.Index(p, base)
	if i < 0 {
		return "", ""
	}
	endpoint, id, _ = strings.Cut(strings.Trim(p[i+len(base):], "/"), "/")
	return endpoint, id
}

// isList reports whether r asks for a ListResponse of Users or Groups.
func isList(r *http.Request, endpoint, id string) bool {
	if endpoint != "Users" && endpoint != "Groups" {
		return false
	}
	return (r.Method == http.MethodGet && id == "") || (r.Method == http.MethodPost && id == ".search")
}

// field finds a member of a JSON object case-insensitively, as SCIM
// attribute names are matched; it returns the key as written.
// opParts is a PATCH operation's op and path as strings ("" when absent
// or not a string), their keys matched in any case.
func opParts(op map[string]any) (kind, path string) {
	_, k, _ := field(op, "op")
	_, p, _ := field(op, "path")
	kind, _ = k.(string)
	path, _ = p.(string)
	return kind, path
}

func field(m map[string]any, name string) (string, any, bool) {
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// maxRewrite bounds the body a bug reads to rewrite; a larger one is passed
// on untouched, for the reference server to refuse (413), so that a fixture
// served with `scimharness serve --bug` cannot be made to buffer without end.
const maxRewrite = 4 << 20

// rewriteBody lets change edit the JSON object body of r and returns a
// request carrying the edited body. A body that is not a JSON object is
// passed on untouched: the reference server rejects it as it should.
func rewriteBody(r *http.Request, change func(doc map[string]any)) *http.Request {
	return rewriteRaw(r, func(raw []byte) []byte {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var doc map[string]any
		if d.Decode(&doc) != nil || doc == nil {
			return raw
		}
		change(doc)
		return marshal(doc)
	})
}

// rewriteRaw lets change edit the body of r (up to maxRewrite bytes; a
// larger one is passed on untouched) and returns a request carrying it.
func rewriteRaw(r *http.Request, change func(body []byte) []byte) *http.Request {
	if r.Body == nil {
		return r
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRewrite+1))
	out := r.Clone(r.Context())
	out.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(raw), r.Body), r.Body}
	if err != nil || len(raw) > maxRewrite {
		return out
	}
	b := change(raw)
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.ContentLength = int64(len(b))
	out.Header.Del("Content-Length")
	return out
}

// rewriteOps applies change to each operation of a PatchOp body.
func rewriteOps(r *http.Request, change func(op map[string]any) map[string]any) *http.Request {
	return rewriteBody(r, func(doc map[string]any) {
		_, v, _ := field(doc, "Operations")
		list, _ := v.([]any)
		for i, o := range list {
			if op, ok := o.(map[string]any); ok {
				list[i] = change(op)
			}
		}
	})
}

// record serves r into a buffer, so that the answer can be rewritten.
func record(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

// replay writes a recorded answer with body instead of the recorded one.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// writeError writes the RFC 7644 §3.12 error body, as the reference server
// does: the bugs differ from it only in what they are about.
func writeError(w http.ResponseWriter, e *schema.Error) {
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(e.Status)
	w.Write(marshal(e))
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{}`)
	}
	return buf.Bytes()
}
