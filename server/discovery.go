package server

import (
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

// serviceProviderConfig tells the truth about what this server does (RFC
// 7643 §5): every feature advertised here is exercised by the tests.
func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	bulk := true
	if pr := s.profile(r); pr != nil {
		bulk, _ = pr.Allows("/Bulk", http.MethodPost)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []any{scim.SPConfigURN},
		"documentationUri": "https://github.com/scimharness/scimharness",
		"patch":            map[string]any{"supported": true},
		"bulk": map[string]any{
			"supported":      bulk,
			"maxOperations":  s.cfg.BulkMaxOperations,
			"maxPayloadSize": s.cfg.MaxBodyBytes,
		},
		"filter":         map[string]any{"supported": true, "maxResults": s.cfg.MaxResults},
		"changePassword": map[string]any{"supported": true},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with a bearer token issued for one tenant (RFC 6750).",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     s.base(r) + "/ServiceProviderConfig",
		},
	})
}

func (s *Server) schemaDoc(r *http.Request, sc *schema.Schema) map[string]any {
	return map[string]any{
		"schemas":     []any{scim.SchemaURN},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  sc.Attributes,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     s.base(r) + "/Schemas/" + sc.ID,
		},
	}
}

func (s *Server) listSchemas(w http.ResponseWriter, r *http.Request) {
	var out []any
	for _, sc := range s.registry(tenantOf(r)).Schemas() {
		out = append(out, s.schemaDoc(r, sc))
	}
	writeList(w, out)
}

func (s *Server) getSchema(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.registry(tenantOf(r)).Schema(r.PathValue("id"))
	if !ok {
		writeError(w, schema.StatusError(http.StatusNotFound, "schema %q not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, s.schemaDoc(r, sc))
}

func (s *Server) resourceTypeDoc(r *http.Request, rt *schema.ResourceType) map[string]any {
	exts := []any{}
	for _, e := range rt.SchemaExtensions {
		exts = append(exts, map[string]any{"schema": e.Schema, "required": e.Required})
	}
	return map[string]any{
		"schemas":          []any{scim.ResourceTypeURN},
		"id":               rt.ID,
		"name":             rt.Name,
		"endpoint":         rt.Endpoint,
		"description":      rt.Description,
		"schema":           rt.Schema,
		"schemaExtensions": exts,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     s.base(r) + "/ResourceTypes/" + rt.ID,
		},
	}
}

func (s *Server) listResourceTypes(w http.ResponseWriter, r *http.Request) {
	var out []any
	for _, rt := range s.registry(tenantOf(r)).ResourceTypes() {
		out = append(out, s.resourceTypeDoc(r, rt))
	}
	writeList(w, out)
}

func (s *Server) getResourceType(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.registry(tenantOf(r)).ResourceType(r.PathValue("id"))
	if !ok {
		writeError(w, schema.StatusError(http.StatusNotFound, "resource type %q not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, s.resourceTypeDoc(r, rt))
}

// writeList writes a complete, unpaged ListResponse (discovery endpoints).
func writeList(w http.ResponseWriter, items []any) {
	writeJSON(w, http.StatusOK, newListResponse(len(items), 1, items))
}

// me answers /Me (RFC 7644 §3.11): a bearer token here stands for a
// provisioning client, not a user, so there is no "me" to serve.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeError(w, schema.StatusError(http.StatusNotImplemented,
		"/Me is not supported: tokens of this server authenticate provisioning clients, not users (%s %s)",
		r.Method, strings.TrimPrefix(r.URL.Path, "/")))
}
