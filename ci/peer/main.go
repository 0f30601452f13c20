// Command peer is an independent SCIM 2.0 server built the straightforward
// way a team would build one on github.com/elimity-com/scim: the library
// parses and validates requests, evaluates filters and parses PATCH
// operations; this file keeps Users and Groups in an in-memory map and applies
// the operations. It exists so CI can run scimharness against a server the
// project did not write (issue 16 item 5, issue 20 item 3): every failure the
// harness reports against it must be a real defect pinned in findings.yaml
// with its RFC clause, never a false failure.
//
// It listens on 127.0.0.1 only and prints "url=http://127.0.0.1:PORT/scim/v2"
// on stderr once it accepts connections.
package main

import (
	"crypto/subtle"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	token := flag.String("token", "", "bearer token clients must present (required)")
	users := flag.Int("users", 0, "users to create before listening (user0@example.com …, shaped like scimharness load's fixture users), for ci/bench.sh")
	flag.Parse()
	if *token == "" {
		log.Fatal("peer: --token is required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || host != "127.0.0.1" {
		log.Fatal("peer: --addr must be on 127.0.0.1")
	}
	srv, err := newServer()
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	if err := seed(mux, *users); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "url=http://%s/scim/v2\n", ln.Addr())
	log.Fatal((&http.Server{Handler: bearer(*token, mux), ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}

// seed creates n users through the server's own POST /Users, as a client
// would (the library validates each), shaped like the fixture users of
// scimharness load --serve-fixture, so that ci/bench.sh measures lookups
// against the peer at a population (issue 20 item 3). Each create scans the
// map for a taken userName, so seeding is quadratic: about a second for
// 10,000 users, minutes for 100,000.
func seed(h http.Handler, n int) error {
	for i := range n {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user%[1]d@example.com","externalId":"ext-%[1]d",`+
			`"name":{"givenName":"Given","familyName":"Family%[1]d"},"emails":[{"value":"user%[1]d@example.com","type":"work","primary":true}],"active":true}`, i)
		req := httptest.NewRequest(http.MethodPost, "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			return fmt.Errorf("peer: seeding user %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	return nil
}

// bearer refuses any request without "Authorization: Bearer <token>" with a
// SCIM error body (RFC 7644 §2, §3.12).
func bearer(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("Content-Type", "application/scim+json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="peer"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"authorization failure"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func newServer() (scim.Server, error) {
	users := newStore("userName")
	groups := newStore("displayName")
	return scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			SupportFiltering: true,
			SupportPatch:     true,
			MaxResults:       200,
			AuthenticationSchemes: []scim.AuthenticationScheme{{
				Type:        scim.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "Authentication scheme using the OAuth Bearer Token Standard",
				Primary:     true,
			}},
		},
		ResourceTypes: []scim.ResourceType{
			{
				ID:               optional.NewString("User"),
				Name:             "User",
				Endpoint:         "/Users",
				Description:      optional.NewString("User Account"),
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          users,
			},
			{
				ID:          optional.NewString("Group"),
				Name:        "Group",
				Endpoint:    "/Groups",
				Description: optional.NewString("Group"),
				Schema:      schema.CoreGroupSchema(),
				Handler:     groups,
			},
		},
	})
}

type record struct {
	attrs   scim.ResourceAttributes
	created time.Time
	updated time.Time
	version int
}

// store is one resource type's in-memory map; unique names the attribute the
// server keeps unique (userName, displayName), compared case-insensitively.
type store struct {
	mu     sync.Mutex
	unique string
	next   int
	data   map[string]*record
}

func newStore(unique string) *store { return &store{unique: unique, data: map[string]*record{}} }

func (s *store) resource(id string, rec *record) scim.Resource {
	created, updated := rec.created, rec.updated
	var ext optional.String
	if v, ok := rec.attrs["externalId"].(string); ok {
		ext = optional.NewString(v)
	}
	return scim.Resource{
		ID:         id,
		ExternalID: ext,
		Attributes: rec.attrs,
		Meta:       scim.Meta{Created: &created, LastModified: &updated, Version: fmt.Sprintf(`W/"%d"`, rec.version)},
	}
}

// taken reports whether another resource already holds the unique value.
func (s *store) taken(attrs scim.ResourceAttributes, self string) bool {
	v, _ := attrs[s.unique].(string)
	for id, rec := range s.data {
		if id == self {
			continue
		}
		if o, _ := rec.attrs[s.unique].(string); strings.EqualFold(o, v) {
			return true
		}
	}
	return false
}

func (s *store) Create(_ *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken(attrs, "") {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	s.next++
	id := strconv.Itoa(s.next)
	now := time.Now().UTC()
	rec := &record{attrs: attrs, created: now, updated: now, version: 1}
	s.data[id] = rec
	return s.resource(id, rec), nil
}

func (s *store) Get(_ *http.Request, id string) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return s.resource(id, rec), nil
}

func (s *store) GetAll(_ *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.data))
	for id := range s.data {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, _ := strconv.Atoi(ids[i])
		b, _ := strconv.Atoi(ids[j])
		return a < b
	})
	page := scim.Page{Resources: []scim.Resource{}}
	for _, id := range ids {
		rec := s.data[id]
		if p.FilterValidator != nil {
			// The library evaluates the filter against the stored
			// attributes; id and meta are not stored, so add them.
			view := map[string]interface{}{}
			for k, v := range rec.attrs {
				view[k] = v
			}
			view["id"] = id
			if err := p.FilterValidator.PassesFilter(view); err != nil {
				continue
			}
		}
		page.TotalResults++
		if page.TotalResults >= p.StartIndex && len(page.Resources) < p.Count {
			page.Resources = append(page.Resources, s.resource(id, rec))
		}
	}
	return page, nil
}

func (s *store) Replace(_ *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	if s.taken(attrs, id) {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	rec.attrs = attrs
	rec.updated = time.Now().UTC()
	rec.version++
	return s.resource(id, rec), nil
}

func (s *store) Delete(_ *http.Request, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.data[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(s.data, id)
	return nil
}

func (s *store) Patch(_ *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	// Work on a copy so a failing operation leaves the resource unchanged
	// (RFC 7644 §3.5.2: the operations are applied atomically).
	attrs := copyMap(rec.attrs)
	for _, op := range ops {
		if err := apply(attrs, op); err != nil {
			return scim.Resource{}, err
		}
	}
	if s.taken(attrs, id) {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	rec.attrs = attrs
	rec.updated = time.Now().UTC()
	rec.version++
	return s.resource(id, rec), nil
}

func copyMap(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case map[string]interface{}:
			out[k] = copyMap(v)
		case []interface{}:
			vs := make([]interface{}, len(v))
			for i, e := range v {
				if em, ok := e.(map[string]interface{}); ok {
					vs[i] = copyMap(em)
				} else {
					vs[i] = e
				}
			}
			out[k] = vs
		default:
			out[k] = v
		}
	}
	return out
}

// apply applies one operation the library has already validated against the
// schema. Paths name an attribute, a sub-attribute, or a multi-valued
// attribute with a value filter of the form `attr[sub eq "v"]` (optionally
// followed by .sub).
func apply(attrs map[string]interface{}, op scim.PatchOperation) error {
	if op.Path == nil {
		values, ok := op.Value.(map[string]interface{})
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range values {
			if op.Op == scim.PatchOperationAdd {
				attrs[k] = added(attrs[k], v)
			} else {
				attrs[k] = v
			}
		}
		return nil
	}
	name := op.Path.AttributePath.AttributeName
	if op.Path.AttributePath.URIPrefix != nil {
		ext, _ := attrs[*op.Path.AttributePath.URIPrefix].(map[string]interface{})
		if ext == nil {
			ext = map[string]interface{}{}
			attrs[*op.Path.AttributePath.URIPrefix] = ext
		}
		attrs = ext
	}
	sub := op.Path.AttributePath.SubAttribute
	if op.Path.ValueExpression != nil {
		return applyFiltered(attrs, name, op)
	}
	if sub != nil {
		m, _ := attrs[name].(map[string]interface{})
		if m == nil {
			m = map[string]interface{}{}
			attrs[name] = m
		}
		name, attrs = *sub, m
	}
	switch op.Op {
	case scim.PatchOperationAdd:
		attrs[name] = added(attrs[name], op.Value)
	case scim.PatchOperationReplace:
		attrs[name] = op.Value
	case scim.PatchOperationRemove:
		delete(attrs, name)
	}
	return nil
}

// added is the value of an attribute after "add": values of a multi-valued
// attribute are appended, anything else is replaced.
func added(old, v interface{}) interface{} {
	olds, ok := old.([]interface{})
	if !ok {
		return v
	}
	if vs, ok := v.([]interface{}); ok {
		return append(olds, vs...)
	}
	return append(olds, v)
}

func applyFiltered(attrs map[string]interface{}, name string, op scim.PatchOperation) error {
	eq, ok := op.Path.ValueExpression.(*filter.AttributeExpression)
	if !ok || eq.Operator != filter.EQ {
		return scimerrors.ScimErrorInvalidFilter
	}
	list, _ := attrs[name].([]interface{})
	kept := list[:0:0]
	matched := false
	for _, e := range list {
		m, ok := e.(map[string]interface{})
		if !ok || fmt.Sprint(m[eq.AttributePath.AttributeName]) != fmt.Sprint(eq.CompareValue) {
			kept = append(kept, e)
			continue
		}
		matched = true
		switch {
		case op.Op == scim.PatchOperationRemove && op.Path.SubAttribute == nil:
			// dropped
		case op.Op == scim.PatchOperationRemove:
			delete(m, *op.Path.SubAttribute)
			kept = append(kept, m)
		case op.Path.SubAttribute != nil:
			m[*op.Path.SubAttribute] = op.Value
			kept = append(kept, m)
		default:
			if v, ok := op.Value.(map[string]interface{}); ok {
				for k, x := range v {
					m[k] = x
				}
			}
			kept = append(kept, m)
		}
	}
	if !matched {
		if op.Op == scim.PatchOperationRemove {
			return nil
		}
		return scimerrors.ScimErrorNoTarget
	}
	attrs[name] = kept
	return nil
}
