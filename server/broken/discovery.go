package broken

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

// The bugs in this file are in the discovery endpoints — /Schemas,
// /ResourceTypes, /ServiceProviderConfig — beyond their lists, which IdPs
// read (Entra's gallery apps read /Schemas) and which stay intact here: the
// reads by id, unknown ids, writes, and what the configuration claims.
// Only the discovery checks (suites/checks/discovery.go) see them. Reading
// a resource type or schema by id, and the 501 for an operation declared
// unsupported, are SHOULDs (RFC 7644 §4, §3.12 Table 8), so the checks
// that see those bugs warn.

// discoveryBugs are the bugs of this file, appended to All's.
func discoveryBugs() []Bug {
	return []Bug{
		{
			Name:        "schemas-by-id-404",
			Description: "lists its schemas at /Schemas but answers 404 for each of them at /Schemas/{id}, where \"individual schema definitions can be returned\" (RFC 7644 §4)",
			Wrap:        schemasByID404,
			Warns:       []string{"discovery/schemas", "discovery/schemas-by-id", "discovery/resource-type-schemas"},
		},
		{
			Name:        "discovery-accepts-writes",
			Description: "answers POST /Schemas with 201 and the schema posted, claiming a write to a read-only discovery endpoint succeeded (RFC 7644 §4; RFC 7643 §7: readOnly SHALL NOT be modified)",
			Wrap:        discoveryAcceptsWrites,
			Fails:       []string{"discovery/writes-refused"},
		},
		{
			Name:        "resource-type-by-id-differs",
			Description: "answers GET /ResourceTypes/{id} with another endpoint (\"/v1/Users\") than the /ResourceTypes list gives, a stale copy: the same resource type read two ways differs (RFC 7644 §4)",
			Wrap:        resourceTypeByIDDiffers,
			Warns:       []string{"discovery/resource-types", "discovery/resource-types-by-id"},
		},
		{
			Name:        "unknown-schema-200",
			Description: "answers GET /Schemas/{id} for a schema it does not have with 200 and an empty object instead of 404 and an error (RFC 7644 §3.12)",
			Wrap:        unknownSchema200,
			Fails:       []string{"discovery/unknown-ids"},
		},
		{
			Name:        "spc-denies-patch",
			Description: "declares patch.supported false in /ServiceProviderConfig yet applies every PATCH with 200: clients trusting the configuration never patch, and an operation declared unsupported should answer 501 (RFC 7643 §5; RFC 7644 §3.12)",
			Wrap:        spcDeniesPatch,
			Warns:       []string{"discovery/spc-claims"},
		},
	}
}

// schemasByID404 refuses every read of one schema.
func schemasByID404(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, id := resourcePath(r.URL.Path); endpoint == "Schemas" && id != "" && r.Method == http.MethodGet {
			writeError(w, schema.StatusError(http.StatusNotFound, "schema %q not found", id))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// discoveryAcceptsWrites answers POST /Schemas with 201 and the body sent,
// storing nothing: the write claims a success it did not have.
func discoveryAcceptsWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, id := resourcePath(r.URL.Path); endpoint != "Schemas" || id != "" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		doc := map[string]any{}
		if raw, err := io.ReadAll(io.LimitReader(r.Body, maxRewrite)); err == nil {
			_ = json.Unmarshal(raw, &doc)
		}
		w.Header().Set("Content-Type", scim.MediaType)
		w.WriteHeader(http.StatusCreated)
		w.Write(marshal(doc))
	})
}

// resourceTypeByIDDiffers moves the endpoint of a resource type read by id
// under /v1.
func resourceTypeByIDDiffers(next http.Handler) http.Handler {
	return rewriteAnswers(next, func(r *http.Request) bool {
		endpoint, id := resourcePath(r.URL.Path)
		return endpoint == "ResourceTypes" && id != "" && r.Method == http.MethodGet
	}, func(doc map[string]any) {
		if e, ok := doc["endpoint"].(string); ok {
			doc["endpoint"] = "/v1" + e
		}
	})
}

// unknownSchema200 turns the 404 of an unknown schema into 200 {}.
func unknownSchema200(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, id := resourcePath(r.URL.Path); endpoint != "Schemas" || id == "" || r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		if rec.Code != http.StatusNotFound {
			replay(w, rec, rec.Body.Bytes())
			return
		}
		w.Header().Set("Content-Type", scim.MediaType)
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("{}\n"))
	})
}

// spcDeniesPatch sets patch.supported to false in the configuration; PATCH
// itself still works.
func spcDeniesPatch(next http.Handler) http.Handler {
	return rewriteAnswers(next, func(r *http.Request) bool {
		endpoint, id := resourcePath(r.URL.Path)
		return endpoint == "ServiceProviderConfig" && id == "" && r.Method == http.MethodGet
	}, func(doc map[string]any) { doc["patch"] = map[string]any{"supported": false} })
}
