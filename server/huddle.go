package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/profile"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/wire"
)

// huddle serves Huddle's company-scoped Users endpoint (seed 002):
// POST /people/companies/{company}/users and
// GET /people/companies/{company}/users/{id}, for tenants whose profile
// has CompanyPath. Bodies are SCIM JSON or the seed's <scimUser> XML.
// Errors keep the RFC 7644 §3.12 JSON body: the seed shows none.
func (s *Server) huddle(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	tok := huddleToken(r)
	p, err := s.authenticate(tenant, tok)
	if note := wire.AuthenticationFrom(r.Context()); err == nil || err == errExpired {
		note.Set(tenant)
	} else {
		note.Clear()
	}
	if err != nil {
		if se := schema.AsError(err); se.Status == http.StatusUnauthorized && err != errExpired && s.knownElsewhere(tok) {
			err = schema.StatusError(http.StatusForbidden, "the actor is not in company %q", tenant)
		}
		writeError(w, err)
		return
	}
	pr := s.profileOf(tenant)
	if pr == nil || !pr.CompanyPath {
		writeError(w, schema.StatusError(http.StatusNotFound, "no endpoint at %s", r.URL.Path))
		return
	}
	if pr.Authorize != nil {
		if err := pr.Authorize(p); err != nil {
			writeError(w, err)
			return
		}
	}
	rt, ok := s.registry(tenant).ResourceType("User")
	if !ok {
		writeError(w, schema.StatusError(http.StatusNotFound, "no endpoint at %s", r.URL.Path))
		return
	}
	id := r.PathValue("id")
	asXML, ok := huddleWantsXML(r)
	if !ok {
		writeError(w, schema.StatusError(http.StatusNotAcceptable,
			"this endpoint answers application/scim+json or application/xml; Accept was %q", r.Header.Get("Accept")))
		return
	}
	var (
		res    store.Resource
		status int
	)
	switch {
	case id == "" && r.Method == http.MethodPost:
		body, err := s.huddleBody(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		if res, err = s.createDoc(r.Context(), tenant, rt, body); err != nil {
			writeError(w, err)
			return
		}
		status = http.StatusCreated
	case id != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		if res, err = s.cfg.Store.Get(r.Context(), tenant, rt, id); err != nil {
			writeError(w, err)
			return
		}
		status = http.StatusOK
	default:
		allow := http.MethodPost
		if id != "" {
			allow = "GET, HEAD"
		}
		w.Header().Set("Allow", allow)
		writeError(w, schema.StatusError(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	out, err := s.render(r.Context(), r, rt, res, projection(r, rt))
	if err != nil {
		writeError(w, err)
		return
	}
	loc := s.huddleBase(r) + "/" + res.ID
	doc := out.(schema.Ordered).Doc
	if meta, ok := doc["meta"].(map[string]any); ok {
		meta["location"] = loc
	}
	w.Header().Set("ETag", store.ETag(res.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", loc)
	}
	if asXML {
		w.Header().Set("Content-Type", profile.HuddleXMLType)
		w.WriteHeader(status)
		w.Write(profile.EncodeHuddleXML(doc))
		return
	}
	writeJSON(w, status, out)
}

// huddleBase is the URL of the company's Users endpoint.
func (s *Server) huddleBase(r *http.Request) string {
	return s.origin(r) + "/people/companies/" + r.PathValue("company") + "/users"
}

// huddleToken is the token of "Authorization: OAuth2 <token>" (the seed's
// scheme) or "Bearer <token>".
func huddleToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth2")) {
		return ""
	}
	return strings.TrimSpace(tok)
}

func isXMLType(mt string) bool { return mt == "application/xml" || mt == "text/xml" }

// huddleBody reads a request body as JSON or as the seed's XML document,
// by Content-Type.
func (s *Server) huddleBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !isXMLType(mt) {
		return decodeBody(w, r, s.cfg.MaxBodyBytes)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, schema.StatusError(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
		return nil, schema.Errorf(schema.InvalidSyntax, "reading the request body: %v", err)
	}
	return profile.DecodeHuddleXML(raw)
}

// huddleWantsXML picks the answer's format from Accept: the first of its
// media types that is XML or JSON wins; without Accept, the answer is in
// the request's format. ok is false when Accept allows neither.
func huddleWantsXML(r *http.Request) (xml, ok bool) {
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
