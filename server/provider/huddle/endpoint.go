package huddle

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/wire"
)

// usersPattern is the company's Users endpoint; the company is the tenant.
const usersPattern = "/people/companies/{tenant}/users"

// serveUsers serves Huddle's company-scoped Users endpoint (seed 002):
// POST /people/companies/{company}/users and
// GET /people/companies/{company}/users/{id}. Bodies are SCIM JSON or the
// seed's <scimUser> XML. Errors keep the RFC 7644 §3.12 JSON body: the seed
// shows none.
func serveUsers(h provider.Host, w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	tok := token(r)
	p, err := h.Authenticate(tenant, tok)
	// The recorder keeps only exchanges that authenticated for the tenant.
	if note := wire.AuthenticationFrom(r.Context()); err == nil || err == provider.ErrExpired {
		note.Set(tenant)
	} else {
		note.Clear()
	}
	if err != nil {
		if se := schema.AsError(err); se.Status == http.StatusUnauthorized && err != provider.ErrExpired && h.KnownElsewhere(tok) {
			err = schema.StatusError(http.StatusForbidden, "the actor is not in company %q", tenant)
		}
		h.WriteError(w, err)
		return
	}
	// The server routes here only for Huddle tenants, whose provider has
	// Authorize.
	if err := authorize(p); err != nil {
		h.WriteError(w, err)
		return
	}
	rt, ok := h.Registry(tenant).ResourceType("User")
	if !ok {
		h.WriteError(w, schema.StatusError(http.StatusNotFound, "no endpoint at %s", r.URL.Path))
		return
	}
	id := r.PathValue("id")
	asXML, ok := wantsXML(r)
	if !ok {
		h.WriteError(w, schema.StatusError(http.StatusNotAcceptable,
			"this endpoint answers application/scim+json or application/xml; Accept was %q", r.Header.Get("Accept")))
		return
	}
	var (
		res    store.Resource
		status int
	)
	switch {
	case id == "" && r.Method == http.MethodPost:
		body, err := readBody(h, w, r)
		if err != nil {
			h.WriteError(w, err)
			return
		}
		if res, err = h.Create(r.Context(), tenant, rt, body); err != nil {
			h.WriteError(w, err)
			return
		}
		status = http.StatusCreated
	case id != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		if res, err = h.Store().Get(r.Context(), tenant, rt, id); err != nil {
			h.WriteError(w, err)
			return
		}
		status = http.StatusOK
	default:
		allow := http.MethodPost
		if id != "" {
			allow = "GET, HEAD"
		}
		w.Header().Set("Allow", allow)
		h.WriteError(w, schema.StatusError(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	out, err := h.Render(r, rt, res)
	if err != nil {
		h.WriteError(w, err)
		return
	}
	loc := usersURL(h, r) + "/" + res.ID
	if meta, ok := out.Doc["meta"].(map[string]any); ok {
		meta["location"] = loc
	}
	w.Header().Set("ETag", store.ETag(res.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", loc)
	}
	if asXML {
		w.Header().Set("Content-Type", XMLType)
		w.WriteHeader(status)
		w.Write(EncodeXML(out.Doc))
		return
	}
	h.WriteJSON(w, status, out)
}

// usersURL is the URL of the company's Users endpoint.
func usersURL(h provider.Host, r *http.Request) string {
	return h.Origin(r) + "/people/companies/" + r.PathValue("tenant") + "/users"
}

// token is the token of "Authorization: OAuth2 <token>" (the seed's
// scheme) or "Bearer <token>".
func token(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth2")) {
		return ""
	}
	return strings.TrimSpace(tok)
}

func isXMLType(mt string) bool { return mt == "application/xml" || mt == "text/xml" }

// readBody reads a request body as JSON or as the seed's XML document,
// by Content-Type.
func readBody(h provider.Host, w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !isXMLType(mt) {
		return h.DecodeJSON(w, r)
	}
	limit := h.MaxBodyBytes()
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, schema.StatusError(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", limit)
		}
		return nil, schema.Errorf(schema.InvalidSyntax, "reading the request body: %v", err)
	}
	return DecodeXML(raw)
}

// wantsXML picks the answer's format from Accept: the first of its media
// types that is XML or JSON wins; without Accept, the answer is in the
// request's format. ok is false when Accept allows neither.
func wantsXML(r *http.Request) (xml, ok bool) {
	accept := r.Header.Get("Accept")
	if accept == "" {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return isXMLType(mt), true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case isXMLType(mt):
			return true, true
		case mt == scim.MediaType || mt == "application/json" || mt == "*/*" || mt == "application/*":
			return false, true
		}
	}
	return false, false
}
