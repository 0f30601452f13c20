package board

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// fakeHost is the part of provider.Host Board's hooks use, over a memory
// store: the hooks are tested without package server.
type fakeHost struct {
	provider.Host // the rest: a call to it panics
	reg           *schema.Registry
	st            store.Store
}

func (h fakeHost) Registry(string) *schema.Registry { return h.reg }
func (h fakeHost) Store() store.Store               { return h.st }
func (h fakeHost) Modify(ctx context.Context, tenant string, rt *schema.ResourceType, id string, change func(map[string]any) (map[string]any, error)) (store.Resource, error) {
	return h.st.Update(ctx, tenant, rt, id, func(cur store.Resource) (map[string]any, error) {
		doc := map[string]any{}
		for k, v := range cur.Doc {
			if k != "id" && k != "meta" {
				doc[k] = v
			}
		}
		return change(doc)
	})
}

// groups returns the tenant's groups as displayName → member ids.
func groups(t *testing.T, h fakeHost, tenant string) map[string][]string {
	t.Helper()
	gt, _ := h.reg.ResourceType("Group")
	page, err := h.st.Query(context.Background(), tenant, gt, store.Query{Count: -1})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, g := range page.Resources {
		var ids []string
		ms, _ := g.Doc["members"].([]any)
		for _, m := range ms {
			id, _ := m.(map[string]any)["value"].(string)
			ids = append(ids, id)
		}
		out[g.Doc["displayName"].(string)] = ids
	}
	return out
}

// The Permission Groups exist once seeded, seeding twice creates none
// again, and a created user joins the enabled default group only.
func TestPermissionGroupHooks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		groups []provider.PermissionGroup
		joined string // the group the user is in; "" none
	}{
		{"enabled default", []provider.PermissionGroup{{Name: "Planners", Default: true}, {Name: "Viewers"}}, "Planners"},
		{"disabled default", []provider.PermissionGroup{{Name: "Planners", Default: true, Disabled: true}, {Name: "Viewers"}}, ""},
		{"no default", []provider.PermissionGroup{{Name: "Viewers"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(provider.Settings{PermissionGroups: tc.groups})
			if err != nil {
				t.Fatal(err)
			}
			h := fakeHost{reg: p.Registry, st: memory.New()}
			for range 2 {
				if err := p.Seed(ctx, h, "hub"); err != nil {
					t.Fatal(err)
				}
			}
			got := groups(t, h, "hub")
			if len(got) != len(tc.groups) {
				t.Fatalf("groups after two seeds: %v, want one each of %v", got, tc.groups)
			}
			ut, _ := p.Registry.ResourceType("User")
			doc, err := ut.Normalize(map[string]any{"schemas": []any{scim.UserURN}, "userName": "u@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := h.st.Create(ctx, "hub", ut, doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Created(ctx, h, "hub", ut, u); err != nil {
				t.Fatal(err)
			}
			for name, members := range groups(t, h, "hub") {
				if in := slices.Contains(members, u.ID); in != (name == tc.joined) {
					t.Errorf("user in %s: %v, want %v", name, in, name == tc.joined)
				}
			}
		})
	}
}

// Check keeps only the mapped attributes (userName and externalId always)
// and refuses a user named as a Client API user.
func TestCheck(t *testing.T) {
	p, err := New(provider.Settings{
		Clients:  []provider.Client{{ID: "idp"}},
		Metadata: []string{"name.givenName", "emails"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ut, _ := p.Registry.ResourceType("User")
	doc := map[string]any{"userName": "a@example.com", "externalId": "e1", "title": "Boss", "active": true,
		"name":   map[string]any{"givenName": "A", "familyName": "B"},
		"emails": []any{map[string]any{"value": "a@example.com"}}}
	if err := p.Check(provider.Create, ut, nil, doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"userName": true, "externalId": true, "emails": true, "name": true, "title": false, "active": false} {
		if _, ok := doc[k]; ok != want {
			t.Errorf("%s kept: %v, want %v", k, ok, want)
		}
	}
	if n := doc["name"].(map[string]any); n["familyName"] != nil || n["givenName"] != "A" {
		t.Errorf("name = %v, want only givenName", n)
	}
	err = p.Check(provider.Create, ut, nil, map[string]any{"userName": "IDP"})
	if se := schema.AsError(err); se.Status != http.StatusConflict {
		t.Errorf("a user named as a Client API user: %v, want 409", err)
	}
}

// TestSchemasDeclareTheMapping: the User schema a Board tenant publishes
// holds what it keeps — userName, the mapped attributes, what the server
// sets — so a client reading /Schemas never sends what is dropped.
func TestSchemasDeclareTheMapping(t *testing.T) {
	for _, tc := range []struct {
		metadata []string
		want     string // User's attributes, with kept sub-attributes
		ext      string // the enterprise extension's, "" when absent
	}{
		{nil, "userName,name(familyName givenName),groups", ""},
		{[]string{"title", scim.EnterpriseUserURN + ":department"}, "userName,title,groups", "department"},
	} {
		p, err := New(provider.Settings{Metadata: tc.metadata})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := p.Registry.ResourceType("User")
		var got []string
		for _, a := range u.Core().Attributes {
			s := a.Name
			if a.Type == schema.TypeComplex && a.Mutability != schema.ReadOnly {
				var subs []string
				for _, sa := range a.SubAttributes {
					subs = append(subs, sa.Name)
				}
				slices.Sort(subs)
				s += "(" + strings.Join(subs, " ") + ")"
			}
			got = append(got, s)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("metadata %v: User declares %s, want %s", tc.metadata, g, tc.want)
		}
		var ext []string
		for _, e := range u.Extensions() {
			for _, a := range e.Attributes {
				ext = append(ext, a.Name)
			}
		}
		if g := strings.Join(ext, ","); g != tc.ext {
			t.Errorf("metadata %v: the extension declares %q, want %q", tc.metadata, g, tc.ext)
		}
	}
}
