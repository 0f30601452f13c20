package certify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/wire"
)

// Sources cited by findings and fingerprints: the IdP and the page or
// capture that shows it (the harness's catalog of IdP behaviour gathers
// them; a report names the source itself, which a reader can open).
const (
	srcEntraTUT     = "Microsoft Entra ID (Microsoft Learn: Develop and plan provisioning for a SCIM endpoint)"
	srcEntraKNOWN   = "Microsoft Entra ID (Microsoft Learn: Known issues with SCIM 2.0 compliance, aadOptscim062020)"
	srcEntra949     = "Microsoft Entra ID (groups; entra-docs issue 949)"
	srcStringBools  = "Microsoft Entra ID (SCIMReferenceCode issue 21) and OneLogin"
	srcGoogleCT     = "Google Workspace (log; pond/scimitar issue 142)"
	srcGoogleURN    = "Google Workspace (log; grokability/snipe-it issue 12642) and OneLogin (doc)"
	srcGooglePage   = "Google Workspace (log; grokability/snipe-it issue 12642)"
	srcOkta         = "Okta (developer.okta.com SCIM 2.0 reference)"
	srcOneLogin     = "OneLogin (developers.onelogin.com)"
	srcEntraManager = "Microsoft Entra ID (manager sent as the raw string id; log, SCIM-SDK issue 686)"
)

// sourceURLs are the addresses of the sources above that one page holds,
// so that a report links a fingerprint to what it rests on.
var sourceURLs = map[string]string{
	srcEntraTUT:     "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups",
	srcEntraKNOWN:   "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
	srcEntra949:     "https://github.com/MicrosoftDocs/entra-docs/issues/949",
	srcStringBools:  "https://github.com/AzureAD/SCIMReferenceCode/issues/21",
	srcGoogleCT:     "https://github.com/pond/scimitar/issues/142",
	srcGoogleURN:    "https://github.com/grokability/snipe-it/issues/12642",
	srcGooglePage:   "https://github.com/grokability/snipe-it/issues/12642",
	srcOkta:         "https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20",
	srcEntraManager: "https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686",
}

// Rule describes one kind of finding, for the findings catalogue.
type Rule struct {
	ID     string
	Level  Level
	Source string
	What   string
}

// Rules is the findings catalogue: every rule the grader applies.
var Rules = []Rule{
	{"token-in-query", Quirk, "RFC 6750 §2.3 (SHOULD NOT be used), §5.3 (SHOULD NOT be passed in page URLs)", "a credential (access_token, token, api_key…) in the query string: URLs end up in logs"},
	{"content-type", Violation, "RFC 7644 §3.1, §3.8 (clients MUST specify the format in which the data is submitted); RFC 7230 §2.5 (a Content-Type that does not parse)", "a request body labelled with a media type that is not JSON (text/plain …), or one that does not parse"},
	{"content-type-missing", Quirk, "RFC 7231 §3.1.1.5 (SHOULD); RFC 7644 §3.8's MUST binds only clients using other encodings", "a request body without Content-Type: servers read it as JSON"},
	{"content-type-json", Quirk, "RFC 7644 §3.1, §3.8; " + srcGoogleCT + "; Okta SCIM 2.0 spec test (doc)", "Content-Type application/json instead of application/scim+json, as Google and Okta's spec test"},
	{"body-not-json", Violation, "RFC 7644 §3.1", "a request body that is not one JSON object"},
	{"schemas-missing", Violation, "RFC 7643 §3; RFC 7644 §3.3, §3.5.2", "a POST/PUT/PATCH body without \"schemas\""},
	{"schemas-core-urn", Violation, "RFC 7643 §3, §8.7.1; RFC 7644 §3.3, §3.5.2", "\"schemas\" lacks the URN of the resource or message (core 2.0 User/Group, PatchOp)"},
	{"schemas-scim1-urn", Quirk, "RFC 7643 §8.7.1; " + srcGoogleURN, "the SCIM 1.0 URN urn:scim:schemas:core:1.0 next to the 2.0 one, as Google and OneLogin"},
	{"schemas-adscim", Quirk, "RFC 7643 §3; " + srcEntraTUT, "Microsoft's ADSCIM group schema URN, as Entra"},
	{"schemas-unknown-urn", Note, "RFC 7643 §3", "a schema URN the harness does not know (an extension the server must declare)"},
	{"patch-no-operations", Violation, "RFC 7644 §3.5.2", "a PATCH without a non-empty \"Operations\" array"},
	{"patch-op-unknown", Violation, "RFC 7644 §3.5.2", "an op other than add, remove or replace"},
	{"patch-op-case", Quirk, "RFC 7644 §3.5.2; " + srcEntraTUT, "a capitalised op (\"Replace\"), as Entra without aadOptscim062020"},
	{"patch-path", Violation, "RFC 7644 §3.5.2, §3.10", "a PATCH path that does not parse (invalidPath)"},
	{"patch-remove-no-path", Violation, "RFC 7644 §3.5.2.2", "remove without a path"},
	{"patch-no-value", Violation, "RFC 7644 §3.5.2.1, §3.5.2.3", "add or replace without a value"},
	{"patch-pathless-not-object", Violation, "RFC 7644 §3.5.2.1, §3.5.2.3", "a path-less add/replace whose value is not an object"},
	{"patch-dotted-keys", Quirk, "RFC 7644 §3.5.2.3; " + srcEntraKNOWN, "a path-less replace whose keys are paths (\"name.givenName\"), as Entra with aadOptscim062020"},
	{"patch-remove-members-value", Quirk, "RFC 7644 §3.5.2.2; " + srcEntra949, "remove path \"members\" with a value list, as Entra without aadOptscim062020: a strict server removes every member"},
	{"filter-syntax", Violation, "RFC 7644 §3.4.2.2", "a filter that does not parse (invalidFilter)"},
	{"filter-unquoted-value", Quirk, "RFC 7644 §3.4.2.2 (compValue is a JSON literal); " + srcEntraTUT + " (its legacy example sends userName eq x)", "a filter comparing with an unquoted word (userName eq x), which is no compValue; servers read it as a string"},
	{"paging-param", Violation, "RFC 7644 §3.4.2.4", "startIndex or count that is not an integer"},
	{"paging-range", Note, "RFC 7644 §3.4.2.4", "startIndex below 1 or a negative count (the server reads them as 1 and 0)"},
	{"boolean-as-string", Quirk, "RFC 7643 §2.3.2; " + srcStringBools, "a boolean sent as the string \"True\"/\"False\", as Entra and OneLogin"},
	{"json-type", Violation, "RFC 7643 §2.3.2", "a boolean attribute (active, primary) sent as a number or another non-boolean"},
	{"tolerated-coercion", Quirk, "RFC 7643 §2.3, §2.4; " + srcEntraManager + "; the reference server's tolerances (serve --tolerate none refuses them)", "a lone string for a complex attribute (Entra's manager id), which a server accepts only by reading it as {\"value\": …}"},
	{"type-coercion", Violation, "RFC 7643 §2.3 (the attribute's data type), §3.3 (extension attributes under their schema's URN); the reference server's tolerances (serve --tolerate none refuses them)", "a value of another JSON type than the attribute's, or an extension attribute at the top level, which no IdP is documented sending and a server accepts only by coercing it"},
	{"multi-valued-as-object", Quirk, "RFC 7643 §2.4; " + srcOneLogin, "a multi-valued attribute (emails) sent as a single object, as OneLogin"},
	{"no-credentials", Note, "RFC 7644 §2", "a request without an Authorization header"},
	{"not-scim", Note, "RFC 7644 §3.2", "a request outside the SCIM base URL (/scim/v2)"},
}

func ruleOf(id string) Rule {
	for _, r := range Rules {
		if r.ID == id {
			return r
		}
	}
	panic("certify: unknown rule " + id)
}

var multiValued = map[string]bool{
	"emails": true, "phonenumbers": true, "ims": true, "photos": true, "addresses": true, "groups": true,
	"entitlements": true, "roles": true, "x509certificates": true, "members": true,
}

var guid = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// state is what grading one recording file remembers between requests.
type state struct {
	wrote      bool
	connection bool
	disabled   map[string]bool
}

type grader struct {
	file     string
	e        record.Entry
	first    bool
	st       *state
	scim     bool
	findings []Finding
	prints   []Fingerprint
	steps    []Step

	params   url.Values // the request's query, parsed once (query)
	resource string     // "Users", "Groups", "ServiceProviderConfig"… ("" at the base)
	id       string     // the resource id, if the path names one
	rest     []string
}

func (g *grader) find(rule, format string, args ...any) {
	r := ruleOf(rule)
	f := Finding{Level: r.Level, Rule: rule, Message: fmt.Sprintf(format, args...), Source: r.Source, File: g.file, Seq: g.e.Seq, Request: g.e.String()}
	switch rule {
	case "schemas-adscim", "patch-op-case", "patch-dotted-keys", "patch-remove-members-value", "boolean-as-string":
		f.IdP = "entra"
	case "multi-valued-as-object":
		f.IdP = "onelogin"
	}
	g.findings = append(g.findings, f)
}

func (g *grader) print(idp, behaviour, source string) {
	for _, p := range g.prints {
		if p.IdP == idp && p.Behaviour == behaviour {
			return
		}
	}
	g.prints = append(g.prints, Fingerprint{IdP: idp, Behaviour: behaviour, Source: source})
}

func (g *grader) step(s Step) {
	for _, x := range g.steps {
		if x == s {
			return
		}
	}
	g.steps = append(g.steps, s)
}

func (g *grader) grade() {
	e := g.e
	// Credentials first: they matter wherever the request went.
	if q, err := url.ParseQuery(e.Query); err == nil || len(q) > 0 {
		for name := range q {
			if wire.SensitiveQueryName(name) {
				g.find("token-in-query", "the query string carries %q: a credential in a URL ends up in access logs, proxies and browser history; send it in the Authorization header", name)
			}
		}
	}
	i := strings.Index(e.Path, "/scim/v2")
	if i < 0 {
		g.find("not-scim", "%s is outside the SCIM base URL", e.Path)
		return
	}
	g.scim = true
	for _, s := range strings.Split(strings.Trim(e.Path[i+len("/scim/v2"):], "/"), "/") {
		if s == "" {
			continue
		}
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		g.rest = append(g.rest, s)
	}
	if len(g.rest) > 0 {
		g.resource = g.rest[0]
	}
	if len(g.rest) > 1 {
		g.id = g.rest[1]
	}
	if e.Request.Header.Get("Authorization") == "" {
		g.find("no-credentials", "no Authorization header")
	}
	g.userAgent()
	g.query()

	method := strings.ToUpper(e.Method)
	var doc map[string]any
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		g.contentType()
		doc = g.body()
	}
	if doc != nil {
		switch {
		case method == http.MethodPatch:
			g.patch(doc)
		case method == http.MethodPost && strings.HasSuffix(g.last(), ".search"):
			g.schemas(doc, scim.SearchRequestURN)
		case method == http.MethodPost && strings.EqualFold(g.resource, "Bulk"):
			g.schemas(doc, scim.BulkRequestURN)
		case strings.EqualFold(g.resource, "Users"):
			g.schemas(doc, scim.UserURN)
			g.types(doc)
			g.tolerances("User", doc)
		case strings.EqualFold(g.resource, "Groups"):
			g.schemas(doc, scim.GroupURN)
			g.types(doc)
			g.tolerances("Group", doc)
		}
	}
	g.coverage(method, doc)
	if method != http.MethodGet && method != http.MethodHead {
		g.st.wrote = true
	}
}

func (g *grader) last() string {
	if len(g.rest) == 0 {
		return ""
	}
	return g.rest[len(g.rest)-1]
}

func (g *grader) userAgent() {
	ua := g.e.Request.Header.Get("User-Agent")
	switch {
	case strings.HasPrefix(ua, "Google-Auto-Provisioning"):
		g.print("google", "User-Agent Google-Auto-Provisioning", srcGoogleCT)
	case strings.HasPrefix(ua, "Okta SCIM Client"):
		g.print("okta", "User-Agent \"Okta SCIM Client …\"", srcOkta)
	}
}

// compared finds each comparison of a filter with its value's first token.
var compared = regexp.MustCompile(`(?i)\b(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+([^\s()\[\]]+)`)

// unquotedValue is the first compared value of filter f that is not a JSON
// literal (a string, number, true, false or null), or "".
func unquotedValue(f string) string {
	for _, m := range compared.FindAllStringSubmatch(f, -1) {
		w := m[1]
		switch {
		case strings.HasPrefix(w, `"`), strings.EqualFold(w, "true"), strings.EqualFold(w, "false"), strings.EqualFold(w, "null"):
			continue
		}
		if _, err := strconv.ParseFloat(w, 64); err == nil {
			continue
		}
		return w
	}
	return ""
}

// query grades the filter and paging parameters.
func (g *grader) query() {
	q, _ := url.ParseQuery(g.e.Query)
	g.params = q
	if f, ok := q["filter"]; ok {
		for _, s := range f {
			if _, err := filter.Parse(s); err != nil {
				g.find("filter-syntax", "filter %q does not parse: %v", s, err)
				continue
			}
			if w := unquotedValue(s); w != "" {
				g.find("filter-unquoted-value", "filter %q compares with the unquoted word %s, not a JSON string (RFC 7644 §3.4.2.2)", s, w)
			}
			if v, ok := probeValue(s); ok && guid.MatchString(v) && strings.EqualFold(g.resource, "Users") {
				g.print("entra", "Test Connection: GET /Users?filter=userName eq \"<random GUID>\"", srcEntraTUT)
				g.step(StepConnection)
				g.st.connection = true
			}
		}
	}
	for _, name := range []string{"startIndex", "count"} {
		for k, vs := range q {
			if !strings.EqualFold(k, name) {
				continue
			}
			for _, v := range vs {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				switch {
				case err != nil:
					g.find("paging-param", "%s=%q is not an integer", k, v)
				case name == "startIndex" && n < 1:
					g.find("paging-range", "startIndex=%d is below 1", n)
				case name == "count" && n < 0:
					g.find("paging-range", "count=%d is negative", n)
				}
			}
		}
	}
	start, hasStart := q["startIndex"]
	count, hasCount := q["count"]
	if hasStart && !hasCount && g.e.Method == http.MethodGet {
		g.print("google", "startIndex without count", srcGooglePage)
	}
	if hasStart && hasCount && start[0] == "1" && count[0] == "100" {
		g.print("okta", "startIndex=1&count=100", srcOkta)
	}
	if excl := q.Get("excludedAttributes"); strings.EqualFold(excl, "members") && strings.EqualFold(g.resource, "Groups") {
		g.print("entra", "Groups read with excludedAttributes=members", srcEntraTUT)
	}
	if hasStart && g.collection() && g.e.Method == http.MethodGet {
		if n, err := strconv.Atoi(start[0]); err == nil && n > 1 {
			g.step(StepPaging)
		}
	}
}

// probeValue returns the value of a filter `attr eq "value"` on userName.
func probeValue(f string) (string, bool) {
	m := probeRE.FindStringSubmatch(strings.TrimSpace(f))
	if m == nil {
		return "", false
	}
	return m[1], true
}

var probeRE = regexp.MustCompile(`(?i)^userName\s+eq\s+"([^"]*)"$`)

func (g *grader) collection() bool {
	return len(g.rest) == 1 && (strings.EqualFold(g.resource, "Users") || strings.EqualFold(g.resource, "Groups"))
}

func (g *grader) contentType() {
	if len(bytes.TrimSpace(g.e.Request.Body)) == 0 {
		return
	}
	ct := g.e.Request.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		g.find("content-type-missing", "a body without Content-Type; send application/scim+json (RFC 7231 §3.1.1.5: SHOULD)")
	case err != nil:
		g.find("content-type", "Content-Type %q does not parse: %v", ct, err)
	case mt == scim.MediaType:
	case mt == "application/json":
		// Not a fingerprint: Google and Okta's spec test both send it.
		g.find("content-type-json", "Content-Type %s, not application/scim+json, the media type RFC 7644 §3.1 names for SCIM content (no keyword binds the client; §3.8: servers SHOULD accept application/json): Google Workspace and Okta's SCIM spec test send it", ct)
	default:
		g.find("content-type", "Content-Type %q is not application/scim+json", ct)
	}
}

// body parses the request body; nil when it is empty or not an object.
func (g *grader) body() map[string]any {
	b := bytes.TrimSpace(g.e.Request.Body)
	if len(b) == 0 {
		if g.e.Method != http.MethodPost || !strings.HasSuffix(g.last(), ".search") {
			g.find("body-not-json", "%s without a body", g.e.Method)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		if err == nil {
			err = fmt.Errorf("data after the JSON object")
		}
		g.find("body-not-json", "the body is not one JSON object: %v", err)
		return nil
	}
	return doc
}

// schemas checks "schemas" holds want and grades the other URNs.
func (g *grader) schemas(doc map[string]any, want string) {
	raw, ok := lookupCI(doc, "schemas")
	if !ok {
		g.find("schemas-missing", "no \"schemas\"; expected %s", want)
		return
	}
	list, ok := raw.([]any)
	if !ok {
		g.find("schemas-missing", "\"schemas\" is not an array of URNs")
		return
	}
	found := false
	for _, x := range list {
		s, _ := x.(string)
		switch {
		case strings.EqualFold(s, want):
			found = true
		case strings.EqualFold(s, scim.SCIM1CoreURN):
			// No fingerprint: Google and OneLogin both send it, so it names
			// no one IdP.
			g.find("schemas-scim1-urn", "\"schemas\" carries the SCIM 1.0 URN %s", scim.SCIM1CoreURN)
		case s == scim.ADSCIMGroupURN:
			g.find("schemas-adscim", "\"schemas\" carries %s", scim.ADSCIMGroupURN)
			g.print("entra", "ADSCIM group schema URN", srcEntraTUT)
		case strings.EqualFold(s, scim.EnterpriseUserURN) && want == scim.UserURN:
		default:
			g.find("schemas-unknown-urn", "\"schemas\" carries %q", s)
		}
	}
	if !found {
		g.find("schemas-core-urn", "\"schemas\" %v lacks %s", list, want)
	}
}

// patch grades a PatchOp body.
func (g *grader) patch(doc map[string]any) {
	g.schemas(doc, scim.PatchOpURN)
	raw, _ := lookupCI(doc, "Operations")
	ops, _ := raw.([]any)
	if len(ops) == 0 {
		g.find("patch-no-operations", "no operations")
		return
	}
	for i, o := range ops {
		op, ok := o.(map[string]any)
		if !ok {
			g.find("patch-no-operations", "operation %d is not an object", i+1)
			continue
		}
		name, _ := op["op"].(string)
		lower := strings.ToLower(name)
		switch {
		case lower != "add" && lower != "remove" && lower != "replace":
			g.find("patch-op-unknown", "operation %d: op %q is not add, remove or replace", i+1, op["op"])
			continue
		case name != lower:
			g.find("patch-op-case", "operation %d: op %q; RFC 7644 writes it %q — servers must accept any case (Entra sends it capitalised)", i+1, name, lower)
			g.print("entra", "capitalised PATCH ops (\"Replace\", \"Add\")", srcEntraTUT)
		}
		path, hasPath := op["path"].(string)
		value, hasValue := op["value"]
		if hasPath && path != "" {
			if _, err := filter.ParsePath(path); err != nil {
				g.find("patch-path", "operation %d: path %q does not parse: %v", i+1, path, err)
			}
		} else {
			hasPath = false
		}
		switch {
		case lower == "remove" && !hasPath:
			g.find("patch-remove-no-path", "operation %d: remove without a path", i+1)
		case lower != "remove" && !hasValue:
			g.find("patch-no-value", "operation %d: %s without a value", i+1, name)
		case lower != "remove" && !hasPath:
			obj, ok := value.(map[string]any)
			if !ok {
				g.find("patch-pathless-not-object", "operation %d: path-less %s whose value is %s, not an object", i+1, name, jsonKind(value))
				break
			}
			for k := range obj {
				if strings.Contains(strings.TrimPrefix(k, urnPrefix(k)), ".") {
					g.find("patch-dotted-keys", "operation %d: path-less %s with the key %q", i+1, name, k)
					g.print("entra", "path-less replace with dotted keys (aadOptscim062020)", srcEntraKNOWN)
					break
				}
			}
			if a, ok := lookupCI(obj, "active"); ok && a == false && lower == "replace" && len(obj) == 1 {
				g.print("okta", "deactivate with path-less replace {\"active\": false}", srcOkta)
			}
			g.types(obj)
		case lower == "remove" && hasValue && strings.EqualFold(path, "members"):
			g.find("patch-remove-members-value", "operation %d: remove path \"members\" with a value; use members[value eq \"…\"]", i+1)
		default:
			attr := lastAttr(path)
			if attr == "active" || attr == "primary" {
				g.boolean(path, value)
				if s, ok := value.(string); ok && attr == "active" && isBoolString(s) {
					g.print("entra", "disable with {\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}", srcEntraKNOWN)
				}
			} else if value != nil {
				g.typesAny(value)
			}
		}
	}
}

// tolerances runs a POST or PUT body through the reference server's own
// normalisation (package schema) and grades each tolerance it needed — a
// value of another JSON type than the schema's, coerced — naming it: a
// quirk when an IdP is documented sending it (Entra's string manager), a
// violation otherwise, as json-type grades the same kind of type error
// (issue 16: one defect, one level); the server accepts the body only
// because it tolerates that.
// The two the grader words itself (boolean-as-string,
// multi-valued-as-object) are not repeated.
func (g *grader) tolerances(resourceType string, doc map[string]any) {
	rt, ok := schema.Default().ResourceType(resourceType)
	if !ok {
		return
	}
	n := schema.Normalizer{}
	if _, err := n.Document(rt, doc); err != nil {
		return // refused by the server too: its answer says why
	}
	for _, a := range n.Applied {
		switch a.Name {
		case schema.TolStringBoolean, schema.TolLoneValue:
			continue
		case schema.TolScalarAsValue: // an IdP habit: a quirk (RFC-wise the same type error)
			g.find("tolerated-coercion", "%s: the server accepts it only by tolerating %s", a.Path, a)
		default: // no IdP is documented doing it: the type error it is
			g.find("type-coercion", "%s: the server accepts it only by tolerating %s", a.Path, a)
		}
	}
}

// types checks JSON types in a resource body or a path-less value.
func (g *grader) types(obj map[string]any) {
	for k, v := range obj {
		lk := strings.ToLower(lastAttr(k))
		switch {
		case lk == "schemas" || lk == "meta":
			continue
		case lk == "active" || lk == "primary":
			g.boolean(k, v)
			continue
		case multiValued[lk]:
			if _, ok := v.(map[string]any); ok {
				g.find("multi-valued-as-object", "%q is a single object, not an array", k)
			}
		}
		g.typesAny(v)
	}
}

func (g *grader) typesAny(v any) {
	switch x := v.(type) {
	case map[string]any:
		g.types(x)
	case []any:
		for _, e := range x {
			g.typesAny(e)
		}
	}
}

func (g *grader) boolean(name string, v any) {
	switch x := v.(type) {
	case bool, nil:
	case string:
		if isBoolString(x) {
			g.find("boolean-as-string", "%q is the string %q, not a JSON boolean; servers must accept it (Entra, OneLogin)", name, x)
		} else {
			g.find("json-type", "%q is the string %q, not a boolean", name, x)
		}
	default:
		g.find("json-type", "%q is %s %v, not a boolean", name, jsonKind(v), v)
	}
}

func isBoolString(s string) bool {
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// urnPrefix is the "urn:…:" part of an attribute path, if any.
func urnPrefix(p string) string {
	if !strings.HasPrefix(strings.ToLower(p), "urn:") {
		return ""
	}
	q := p
	if i := strings.IndexByte(q, '['); i >= 0 {
		q = q[:i]
	}
	if i := strings.LastIndexByte(q, ':'); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// baseAttr is the top-level attribute a path or key names, lower-cased:
// `emails[type eq "work"].value` → emails, name.givenName → name.
func baseAttr(p string) string {
	p = strings.TrimPrefix(p, urnPrefix(p))
	if i := strings.IndexAny(p, "[."); i >= 0 {
		p = p[:i]
	}
	return strings.ToLower(strings.TrimSpace(p))
}

// lastAttr is the last attribute a path names, lower-cased, filters
// dropped: `emails[type eq "work"].value` → value, name.givenName →
// givenname.
func lastAttr(p string) string {
	p = strings.TrimPrefix(p, urnPrefix(p))
	if i := strings.IndexByte(p, '['); i >= 0 {
		if j := strings.LastIndexByte(p, ']'); j > i {
			p = p[:i] + p[j+1:]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		p = p[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(p))
}

func lookupCI(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// coverage notes the lifecycle steps this request exercises.
func (g *grader) coverage(method string, doc map[string]any) {
	users := strings.EqualFold(g.resource, "Users")
	groups := strings.EqualFold(g.resource, "Groups")
	switch method {
	case http.MethodGet:
		// A lookup by a value the client then creates (Okta's, Google's
		// before their first POST) is no connection test; Entra's GUID
		// probe is recognised in query.
		_, lookup := g.params["filter"]
		if !g.st.connection && !g.st.wrote && !lookup && (users || groups || strings.EqualFold(g.resource, "ServiceProviderConfig") ||
			strings.EqualFold(g.resource, "Schemas") || strings.EqualFold(g.resource, "ResourceTypes")) {
			g.step(StepConnection)
			g.st.connection = true
		}
	case http.MethodPost:
		switch {
		case users && len(g.rest) == 1:
			g.step(StepCreate)
		case groups && len(g.rest) == 1:
			g.step(StepGroups)
			if m, ok := lookupCI(doc, "members"); ok && nonEmpty(m) {
				g.step(StepMemberAdd)
			}
		}
	case http.MethodDelete:
		switch {
		case users && g.id != "":
			g.step(StepDelete)
		case groups && g.id != "":
			g.step(StepGroupDelete)
		}
	case http.MethodPut:
		if doc == nil || g.id == "" {
			return
		}
		if users {
			g.step(StepUpdateSingle)
			for k, v := range doc {
				if multiValued[baseAttr(k)] && nonEmpty(v) {
					g.step(StepUpdateMulti)
					break
				}
			}
			if a, ok := lookupCI(doc, "active"); ok {
				g.active(a)
			}
		}
		if groups {
			g.step(StepGroupReplace)
			if m, ok := lookupCI(doc, "members"); ok && nonEmpty(m) {
				g.step(StepMemberAdd)
			}
		}
	case http.MethodPatch:
		if doc == nil || g.id == "" {
			return
		}
		raw, _ := lookupCI(doc, "Operations")
		ops, _ := raw.([]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			name, _ := op["op"].(string)
			name = strings.ToLower(name)
			path, _ := op["path"].(string)
			value := op["value"]
			attrs := map[string]any{}
			if path != "" {
				attrs[path] = value
			} else if obj, ok := value.(map[string]any); ok {
				attrs = obj
			}
			for k, v := range attrs {
				base := baseAttr(k)
				switch {
				case users && base == "active":
					g.active(v)
				case users && multiValued[base]:
					g.step(StepUpdateMulti)
				case users:
					g.step(StepUpdateSingle)
				case groups && base == "members" && name == "remove":
					g.step(StepMemberRemove)
				case groups && base == "members" && nonEmpty(v):
					g.step(StepMemberAdd)
				case groups && base == "displayname" && name != "remove":
					g.step(StepGroupRename)
				}
			}
		}
	}
}

// active notes a disable or re-enable of the request's user.
func (g *grader) active(v any) {
	on, ok := v.(bool)
	if s, isStr := v.(string); isStr && isBoolString(s) {
		on, ok = strings.EqualFold(s, "true"), true
	}
	if !ok {
		return
	}
	if g.st.disabled == nil {
		g.st.disabled = map[string]bool{}
	}
	switch {
	case !on:
		g.step(StepDisable)
		g.st.disabled[g.id] = true
	case g.st.disabled[g.id]:
		g.step(StepReenable)
		delete(g.st.disabled, g.id)
	}
}

func nonEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case string:
		return x != ""
	}
	return true
}
