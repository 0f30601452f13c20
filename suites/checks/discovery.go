package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// listHas expects a ListResponse with a resource whose key equals value.
func listHas(key, value string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		value := judge.Expand(value, vars)
		_, rs, err := resources(ex)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if fmt.Sprint(r[key]) == value {
				return nil
			}
		}
		return fmt.Errorf("no resource with %s %q in the list", key, value)
	})
}

// clauseByID: reading one resource type or schema by its id (RFC 7644 §4)
// is graded SHOULD: the listing endpoints are what discovery needs.
const clauseByID = "RFC 7644 §4 (GET /ResourceTypes/{name} and /Schemas/{id})"

// byID is a read of one discovery resource, at clauseByID.
func byID(st scenario.Step) scenario.Step {
	st.Clause, st.Level = clauseByID, scenario.Should
	return st
}

func discovery() []Check {
	spcShape := scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		schemas, _ := doc["schemas"].([]any)
		if !slices.Contains(schemas, any(scim.SPConfigURN)) {
			return fmt.Errorf("schemas %s lack %q", judge.Render(doc["schemas"]), scim.SPConfigURN)
		}
		for _, k := range []string{target.Patch, target.Bulk, target.Filter, target.ChangePassword, target.Sort, target.ETag} {
			m, ok := doc[k].(map[string]any)
			if !ok {
				return fmt.Errorf("%s is missing: every capability is REQUIRED in the ServiceProviderConfig", k)
			}
			if _, ok := m["supported"].(bool); !ok {
				return fmt.Errorf("%s.supported is %s, not a boolean", k, judge.Render(m["supported"]))
			}
		}
		if _, ok := doc["authenticationSchemes"].([]any); !ok {
			return fmt.Errorf("authenticationSchemes is missing or not an array")
		}
		return nil
	})
	return []Check{
		{
			ID: "discovery/service-provider-config", Name: "GET /ServiceProviderConfig declares every capability",
			Clause: "RFC 7643 §5; RFC 7644 §4",
			Steps:  []scenario.Step{get("read the configuration", "/ServiceProviderConfig", status(http.StatusOK), mediaType(), spcShape)},
		},
		{
			ID: "discovery/resource-types", Name: "GET /ResourceTypes lists User at /Users",
			Clause: clauseResourceTypes,
			Steps: []scenario.Step{get("list resource types", "/ResourceTypes", status(http.StatusOK), listHas("endpoint", "/Users"), listHas("schema", scim.UserURN)),
				byID(get("read the User resource type", "/ResourceTypes/User", status(http.StatusOK), bodyIs("endpoint", "/Users")))},
		},
		{
			ID: "discovery/schemas", Name: "GET /Schemas holds the core User schema",
			Clause: clauseSchemas,
			Steps: []scenario.Step{get("list schemas", "/Schemas", status(http.StatusOK), listHas("id", scim.UserURN)),
				byID(get("read the User schema", "/Schemas/"+scim.UserURN, status(http.StatusOK), bodyIs("id", scim.UserURN), present("attributes")))},
		},
		{
			ID: "discovery/resource-types-by-id", Name: "every entry of /ResourceTypes reads the same at /ResourceTypes/{id}",
			Clause: clauseByID, Level: scenario.Should,
			Steps:    []scenario.Step{listStep("list resource types", "/ResourceTypes", clauseResourceTypes)},
			Declared: declaredByID("/ResourceTypes", "id", "name", "endpoint", "schema", "schemaExtensions"),
		},
		{
			ID: "discovery/schemas-by-id", Name: "every entry of /Schemas reads the same at /Schemas/{id}, attributes and their characteristics included",
			Clause: clauseByID, Level: scenario.Should,
			Steps:    []scenario.Step{listStep("list schemas", "/Schemas", clauseSchemas)},
			Declared: declaredByID("/Schemas", "id", "name", "attributes"),
		},
		{
			ID: "discovery/resource-type-schemas", Name: "the schema and every schemaExtension of each resource type are listed in /Schemas and read at /Schemas/{urn}",
			Clause: clauseByID, Level: scenario.Should,
			Steps:    []scenario.Step{listStep("list resource types", "/ResourceTypes", clauseResourceTypes)},
			Declared: declaredTypeSchemas,
		},
		{
			// Reading by id is a SHOULD (clauseByID), but a server that
			// serves it answers an id it does not have as it answers an
			// unknown user (errors/not-found): 404 and the §3.12 error. A
			// server without reads by id passes, answering 404 to all.
			ID: "discovery/unknown-ids", Name: "an unknown resource type or schema id answers 404 with a SCIM error",
			Clause: "RFC 7644 §3.12",
			Steps: []scenario.Step{
				get("GET /ResourceTypes/no-such-type", "/ResourceTypes/no-such-type", scimError(http.StatusNotFound, "")...),
				get("GET /Schemas/urn:no:such:schema", "/Schemas/urn:no:such:schema", scimError(http.StatusNotFound, "")...),
			},
		},
		writesRefused(),
		spcClaims(),
	}
}

// The clauses of the discovery checks; levels_test.go holds their keywords.
const (
	clauseResourceTypes = "RFC 7643 §6; RFC 7644 §4"
	clauseSchemas       = "RFC 7643 §7; RFC 7644 §4"
	// clauseByIDSame: "In cases where a request is for a specific
	// "ResourceType" or "Schema", the single JSON object is returned in
	// the same way that a single User or Group is retrieved" (RFC 7644
	// §4): the resource the list holds, without a keyword, so SHOULD.
	clauseByIDSame = "RFC 7644 §4 (a ResourceType or Schema read by id is the one the list holds)"
	// clauseAllSchemas: GET /Schemas "SHALL return all supported schemas"
	// (RFC 7644 §4); a schema a resource type names is supported.
	clauseAllSchemas = "RFC 7644 §4 (GET /Schemas SHALL return all supported schemas)"
	// clauseReadOnlyDiscovery: the discovery endpoints are read "using
	// HTTP GET" (RFC 7644 §4), and every attribute of the
	// ServiceProviderConfig, ResourceType and Schema schemas is readOnly
	// (RFC 7643 §8.7.2), which "SHALL NOT be modified" (RFC 7643 §7).
	clauseReadOnlyDiscovery = "RFC 7644 §4; RFC 7643 §7, §8.7.2 (discovery attributes are readOnly: SHALL NOT be modified)"
	// clauseNotImplemented: Table 8 gives 501 for "Service provider does
	// not support the request operation, e.g., PATCH" (RFC 7644 §3.12): a
	// description, no keyword, so SHOULD.
	clauseNotImplemented = "RFC 7644 §3.12 (Table 8: 501 for an operation the service provider does not support)"
	clauseSPCRequired    = "RFC 7643 §5"
)

// listStep reads a discovery list: the set-up of the by-id checks, graded
// at the list's own clause (a MUST).
func listStep(name, path, clause string) scenario.Step {
	st := get(name, path, status(http.StatusOK), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		_, _, err := resources(ex)
		return err
	}))
	st.Setup, st.Clause, st.Level = true, clause, scenario.Must
	return st
}

// declaredList reads the Resources of the discovery list at path through
// c; nil when it cannot be read (the check's list step says why).
func declaredList(ctx context.Context, c *client.Client, path string) []map[string]any {
	var rs []map[string]any
	if readList(ctx, c, path, &rs) != nil {
		return nil
	}
	return rs
}

// entryID is how a discovery entry is addressed: its id, or else its name
// (a ResourceType's id is OPTIONAL and "often the same value as the name",
// RFC 7643 §6).
func entryID(e map[string]any) string {
	if id, _ := e["id"].(string); id != "" {
		return id
	}
	s, _ := e["name"].(string)
	return s
}

// declaredByID makes, for each entry of the list at path, a read of
// path/{id} that must answer 200 (clauseByID) with the entry's keys as the
// list holds them (clauseByIDSame).
func declaredByID(path string, keys ...string) func(context.Context, *target.Target) []scenario.Step {
	return func(ctx context.Context, t *target.Target) []scenario.Step {
		var steps []scenario.Step
		for _, e := range declaredList(ctx, t.Client, path) {
			id := entryID(e)
			if id == "" {
				continue // nothing to address it by; the list's own checks judge it
			}
			steps = append(steps, readByID(fmt.Sprintf("GET %s/%s", path, id), path+"/"+url.PathEscape(id), sameAs(path, e, keys)))
		}
		return steps
	}
}

// readByID is a read of one discovery resource that must answer 200 with
// a JSON object (clauseByID), judged further by expect.
func readByID(name, path string, expect ...scenario.Expectation) scenario.Step {
	st := byID(scenario.Step{Name: name, Build: func(scenario.Vars) (client.Request, error) {
		return client.Request{Method: http.MethodGet, Path: path}, nil
	}})
	st.Expect = append([]scenario.Expectation{status(http.StatusOK), mediaType(), present("schemas")}, expect...)
	return st
}

// sameAs expects a 200 answer to hold the list entry's keys, JSON-equal
// (sameJSON). For "attributes" the first attribute that differs is named.
func sameAs(path string, entry map[string]any, keys []string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		var bad []string
		for _, k := range keys {
			want, got := entry[k], doc[k]
			switch {
			case sameJSON(k, want, got):
			case k == "attributes":
				bad = append(bad, "attributes differ: "+attributeDiff(want, got))
			default:
				bad = append(bad, fmt.Sprintf("%s is %s, but %s lists %s", k, judge.Render(got), path, judge.Render(want)))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("the answer by id is not the entry of %s: %s", path, strings.Join(bad, "; "))
		}
		return nil
	}).Per(clauseByIDSame, scenario.Should)
}

// sameJSON is JSON equality of two decoded values of key, up to what
// carries no meaning: an absent array equals an empty one, and attributes
// and subAttributes are compared by name, in any order.
func sameJSON(key string, a, b any) bool {
	if l, ok := a.([]any); ok && len(l) == 0 && b == nil {
		return true
	}
	if l, ok := b.([]any); ok && len(l) == 0 && a == nil {
		return true
	}
	return reflect.DeepEqual(canonical(map[string]any{key: a}), canonical(map[string]any{key: b}))
}

// canonical returns v with every "attributes" and "subAttributes" array
// sorted by the elements' names, case-insensitively.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonical(e)
			if l, ok := out[k].([]any); ok && (k == "attributes" || k == "subAttributes") {
				slices.SortStableFunc(l, func(p, q any) int { return strings.Compare(nameOf(p), nameOf(q)) })
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(e)
		}
		return out
	}
	return v
}

func nameOf(v any) string {
	m, _ := v.(map[string]any)
	return strings.ToLower(fmt.Sprint(m["name"]))
}

// attributeDiff names the first attribute (by name) whose definition —
// type, multiValued, mutability, returned, sub-attributes … — differs
// between two "attributes" arrays, or that one of them lacks.
func attributeDiff(want, got any) string {
	index := func(v any) (map[string]any, []string) {
		m := map[string]any{}
		var names []string
		list, _ := v.([]any)
		for _, a := range list {
			n := nameOf(a)
			m[n] = a
			names = append(names, n)
		}
		return m, names
	}
	w, wn := index(want)
	g, gn := index(got)
	for _, n := range wn {
		switch {
		case g[n] == nil:
			return fmt.Sprintf("%s is listed but missing by id", n)
		case !sameJSON("", w[n], g[n]):
			return fmt.Sprintf("%s is %s by id, %s in the list", n, judge.Render(g[n]), judge.Render(w[n]))
		}
	}
	for _, n := range gn {
		if w[n] == nil {
			return fmt.Sprintf("%s is served by id but not listed", n)
		}
	}
	return fmt.Sprintf("%s by id, %s in the list", judge.Render(got), judge.Render(want))
}

// declaredTypeSchemas makes, from /ResourceTypes, a read of /Schemas that
// must list every schema and schemaExtension the resource types name
// (clauseAllSchemas), then a read of each at /Schemas/{urn} (clauseByID).
func declaredTypeSchemas(ctx context.Context, t *target.Target) []scenario.Step {
	var urns []string
	for _, rt := range declaredList(ctx, t.Client, "/ResourceTypes") {
		if s, _ := rt["schema"].(string); s != "" {
			urns = append(urns, s)
		}
		exts, _ := rt["schemaExtensions"].([]any)
		for _, e := range exts {
			m, _ := e.(map[string]any)
			if s, _ := m["schema"].(string); s != "" {
				urns = append(urns, s)
			}
		}
	}
	slices.Sort(urns)
	urns = slices.Compact(urns)
	if len(urns) == 0 {
		return nil
	}
	listed := get("list schemas: every schema a resource type names is there", "/Schemas", status(http.StatusOK), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		_, rs, err := resources(ex)
		if err != nil {
			return err
		}
		var missing []string
		for _, u := range urns {
			if !slices.ContainsFunc(rs, func(r map[string]any) bool { return r["id"] == u }) {
				missing = append(missing, u)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("/ResourceTypes names %s, which /Schemas does not list", strings.Join(missing, ", "))
		}
		return nil
	}))
	listed.Clause, listed.Level = clauseAllSchemas, scenario.Must
	steps := []scenario.Step{listed}
	for _, u := range urns {
		steps = append(steps, readByID("GET /Schemas/"+u, "/Schemas/"+url.PathEscape(u), bodyIs("id", u).Per(clauseByIDSame, scenario.Should)))
	}
	return steps
}

// writesRefused sends POST, PUT, PATCH and DELETE to each discovery
// endpoint. They are read-only (clauseReadOnlyDiscovery), so every write
// must be refused: any 4xx — 405 Method Not Allowed (RFC 9110 §15.5.6) is
// the usual one, 400, 403 or 404 refuse too — or 501, which Table 8 of RFC
// 7644 §3.12 gives for an operation the server does not support. A 2xx is
// a failure even if nothing changed, since it claims the write succeeded;
// so are 3xx and a 5xx other than 501. A refusal carries the RFC 7644
// §3.12 error body. The bodies are harmless if a server takes them anyway:
// PUT /ServiceProviderConfig sends the configuration as read, the PATCH
// sets patch.supported to the value read, and the POSTs carry the run
// prefix (a created schema or resource type is deleted afterwards).
func writesRefused() Check {
	spc := scenario.Step{
		Name: "read the configuration", Setup: true, Clause: "RFC 7643 §5; RFC 7644 §4", Level: scenario.Must,
		Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/ServiceProviderConfig"},
		Capture: map[string]string{"patchSupported": "patch.supported"},
		Expect:  []scenario.Expectation{status(http.StatusOK)},
		Check: func(ex *wire.Exchange, vars scenario.Vars) error {
			doc, err := ex.JSON()
			if err != nil {
				return fmt.Errorf("the configuration is not JSON: %v", err)
			}
			vars["spc"] = doc
			return nil
		},
	}
	write := func(method, path string, body any) scenario.Step {
		return step(method+" "+path, method, path, body, refused(), anyErrorBody())
	}
	rt := map[string]any{"schemas": []any{scim.ResourceTypeURN}, "id": "${prefix}-rt", "name": "${prefix}-rt", "endpoint": "/${prefix}-rt", "schema": scim.UserURN}
	sc := map[string]any{"schemas": []any{scim.SchemaURN}, "id": "urn:${prefix}:schema", "name": "${prefix}", "attributes": []any{}}
	var steps []scenario.Step
	for _, w := range []struct {
		path string
		doc  map[string]any
	}{{"/ResourceTypes", rt}, {"/Schemas", sc}} {
		steps = append(steps,
			write(http.MethodPost, w.path, w.doc),
			write(http.MethodPut, w.path, w.doc),
			write(http.MethodPatch, w.path, patchOp(op("add", "name", "${prefix}"))),
			write(http.MethodDelete, w.path, nil))
	}
	// The configuration is read last: its writes need what it holds, the
	// others do not wait for it.
	steps = append(steps, spc,
		write(http.MethodPost, "/ServiceProviderConfig", map[string]any{"schemas": []any{scim.SPConfigURN}, "documentationUri": "https://${prefix}.example.invalid/"}),
		write(http.MethodPut, "/ServiceProviderConfig", "${spc}"),
		write(http.MethodPatch, "/ServiceProviderConfig", patchOp(op("replace", "patch.supported", "${patchSupported}"))),
		write(http.MethodDelete, "/ServiceProviderConfig", nil))
	return Check{
		ID: "discovery/writes-refused", Name: "POST, PUT, PATCH and DELETE on /ServiceProviderConfig, /ResourceTypes and /Schemas are refused (405, another 4xx, or 501)",
		Clause: clauseReadOnlyDiscovery, Steps: steps,
	}
}

// refused expects a write to be refused: a 4xx, or 501.
func refused() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if c := ex.Status(); c/100 == 4 || c == http.StatusNotImplemented {
			return nil
		}
		return fmt.Errorf("a write to a read-only discovery endpoint answered %d; expected 405 (or another 4xx, or 501): a 2xx claims a change nobody may make; body: %s", ex.Status(), judge.Excerpt(ex.Response.Body))
	})
}

// anyErrorBody expects an error answer, whatever its status, to carry the
// RFC 7644 §3.12 error body with that status.
func anyErrorBody() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		if ex.Status() < 400 {
			return nil
		}
		return judge.Voice{}.SCIMError(ex.Status()).Check(ex, vars)
	}).Per(clauseErrorBody, scenario.Must)
}

// spcClaims holds /ServiceProviderConfig to what it says. The REQUIRED
// sub-attributes of a supported feature must be there and make sense
// (RFC 7643 §5: filter.maxResults, bulk.maxOperations and
// bulk.maxPayloadSize are integers; a supported feature with a limit of 0
// is not supported). Then PATCH and Bulk, the two operations a client may
// not send when they are declared unsupported, are probed once each: when
// declared supported, a PATCH answers 200 or 204 (RFC 7644 §3.5.2) and a
// BulkRequest 200 (§3.7); when declared unsupported, the answer is 501
// (Table 8 of §3.12, a SHOULD), for Bulk also 404 (Table 8: the endpoint
// does not exist). Filter, sort, etag and changePassword are exercised by
// their own areas, which run when the configuration declares them.
func spcClaims() Check {
	shape := scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		var bad []string
		for _, lim := range []string{"filter.maxResults", "bulk.maxOperations", "bulk.maxPayloadSize"} {
			feature, _, _ := strings.Cut(lim, ".")
			if on, _ := scenario.Lookup(doc, feature+".supported"); on != true {
				continue
			}
			v, _ := scenario.Lookup(doc, lim)
			if n, ok := number(v); !ok || n <= 0 {
				bad = append(bad, fmt.Sprintf("%s is %s", lim, judge.Render(v)))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s: a supported feature's limit is REQUIRED, a positive integer", strings.Join(bad, "; "))
		}
		return nil
	})
	read := get("read the configuration", "/ServiceProviderConfig", status(http.StatusOK), shape)
	read.Clause = clauseSPCRequired
	read.Capture = map[string]string{"patchSupported": "patch.supported", "bulkSupported": "bulk.supported"}
	bulkBody := map[string]any{"schemas": []any{scim.BulkRequestURN}, "Operations": []any{
		map[string]any{"method": http.MethodPost, "path": "/Users", "bulkId": "spc1", "data": userBody("spc", "bob", nil)},
	}}
	return Check{
		ID: "discovery/spc-claims", Name: "a feature /ServiceProviderConfig declares is there (limits, PATCH, Bulk); PATCH or Bulk declared unsupported answers 501",
		Clause: clauseSPCRequired,
		Steps: []scenario.Step{
			read,
			after(createUser("u", userBody("spc", "ada", nil)), "read the configuration"),
			after(step("PATCH as declared", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "title", "Probe")),
				asDeclared("patchSupported", "RFC 7644 §3.5.2", http.StatusOK, http.StatusNoContent), notImplemented("patchSupported"), unsupportedErrorBody("patchSupported")), "read the configuration"),
			after(step("POST /Bulk as declared", http.MethodPost, "/Bulk", bulkBody,
				asDeclared("bulkSupported", "RFC 7644 §3.7", http.StatusOK), notImplemented("bulkSupported", http.StatusNotFound), unsupportedErrorBody("bulkSupported")), "read the configuration"),
		},
	}
}

// asDeclared expects, when var says the feature is supported, one of
// codes, graded at the operation's clause (a MUST).
func asDeclared(v, clause string, codes ...int) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		if vars[v] != true || slices.Contains(codes, ex.Status()) {
			return nil
		}
		return fmt.Errorf("/ServiceProviderConfig declares the operation supported, but it answered %d, not %s; body: %s", ex.Status(), orCodes(codes), judge.Excerpt(ex.Response.Body))
	}).Per(clause, scenario.Must)
}

// notImplemented expects, when var says the feature is not supported,
// 501 (or one of also), at clauseNotImplemented.
func notImplemented(v string, also ...int) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		codes := append([]int{http.StatusNotImplemented}, also...)
		if vars[v] != false || slices.Contains(codes, ex.Status()) {
			return nil
		}
		return fmt.Errorf("/ServiceProviderConfig declares the operation unsupported, so it should answer %s, not %d; body: %s", orCodes(codes), ex.Status(), judge.Excerpt(ex.Response.Body))
	}).Per(clauseNotImplemented, scenario.Should)
}

// unsupportedErrorBody: the refusal of an operation declared unsupported
// carries the RFC 7644 §3.12 error body.
func unsupportedErrorBody(v string) scenario.Expectation {
	body := anyErrorBody()
	check := body.Check
	body.Check = func(ex *wire.Exchange, vars scenario.Vars) error {
		if vars[v] != false {
			return nil
		}
		return check(ex, vars)
	}
	return body
}

func orCodes(codes []int) string {
	var s []string
	for _, c := range codes {
		s = append(s, fmt.Sprint(c))
	}
	return strings.Join(s, " or ")
}
